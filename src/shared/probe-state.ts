/**
 * What APIM's health probe on the API port (`/status-0123456789abcdef`) answers, as the primary
 * decides it: the probe follows readiness, so a gateway with no config (managed mode, control
 * plane down, no backup) answers 503 instead of "healthy" while every API 404s.
 *
 * One int32 slot in a SharedArrayBuffer for the process's lifetime: the primary stores, workers
 * load. A probe costs one Atomics.load and no message round trip; a worker never waits on it.
 */
import { workerData } from 'node:worker_threads';
import type { ErrorCode } from './errors.js';

/** Slot index of the probe state (the buffer has exactly one slot). */
export const PROBE_SLOT = 0;
export const PROBE_READY = 0;
export const PROBE_NOT_READY = 1;
export const PROBE_SHUTTING_DOWN = 2;
export type ProbeState = typeof PROBE_READY | typeof PROBE_NOT_READY | typeof PROBE_SHUTTING_DOWN;

/** Primary side: starts not ready; readiness.ts stores every change. */
export function allocateProbeState(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  Atomics.store(new Int32Array(buffer), PROBE_SLOT, PROBE_NOT_READY);
  return buffer;
}

export function storeProbeState(buffer: SharedArrayBuffer, state: ProbeState): void {
  Atomics.store(new Int32Array(buffer), PROBE_SLOT, state);
}

let view: Int32Array | null = null;

/**
 * Worker side: null when the probe may answer healthy, else the error to answer with. Reads the
 * buffer the primary handed over in WorkerInit.probe (protocol.ts), found through workerData so
 * the worker's request path needs no new plumbing.
 */
export function probeRefusal(): ErrorCode | null {
  view ??= new Int32Array((workerData as { probe: SharedArrayBuffer }).probe);
  const state = Atomics.load(view, PROBE_SLOT);
  return state === PROBE_READY ? null : state === PROBE_SHUTTING_DOWN ? 'OUTPOST_ERR_SHUTTING_DOWN' : 'OUTPOST_ERR_NOT_READY';
}
