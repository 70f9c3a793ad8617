/**
 * The policy contract. A policy is a factory and an instance:
 * - `compile` runs once per config, in the compiler thread: it validates the element (throwing
 *   PolicyCompileError naming the attribute) and returns plain data, which travels in the table;
 * - `create` runs once per generation in each worker and binds that data into an instance;
 * - `run` runs per request and returns an Outcome (or a promise of one, for policies that wait).
 * The hot path only loops over instances; it never parses or validates.
 */
import type { Outcome, Section } from './phases.js';
import type { PolicyElement, PolicyLocation } from './policy-element.js';
import type { RequestContext } from './context.js';
import type { WorkerServices } from './worker-services.js';

export interface PolicyInstance {
  run(ctx: RequestContext): Outcome | Promise<Outcome>;
}

export interface PolicyFactory<Config = unknown> {
  readonly name: string;
  /** Sections this policy may appear in; anywhere else is a compile error. */
  readonly sections: readonly Section[];
  compile(element: PolicyElement, at: PolicyLocation): Config;
  create(config: Config, services: WorkerServices): PolicyInstance;
}

/** A compiled policy as it travels in the table: the factory's name and its checked config. */
export interface CompiledPolicy {
  name: string;
  config: unknown;
  /** `describeLocation` of where it was written, for lastError and logs. */
  at: string;
}

export type CompiledChain = Record<Section, CompiledPolicy[]>;
