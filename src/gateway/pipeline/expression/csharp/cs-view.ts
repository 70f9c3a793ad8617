/**
 * The base of context's objects (context.Request, .Api, headers...): a .NET type name and
 * property and method lookups by name. Lookups return NO_MEMBER for a name the type lacks; the
 * caller (cs-members.ts) turns that into the error .NET would give. Views are made when an
 * expression reads them, over the RequestContext, and copy nothing.
 */
import type { EvalState } from './cs-state.js';

export const NO_MEMBER: unique symbol = Symbol('no member');

export abstract class View {
  abstract readonly csType: string;
  abstract get(name: string): unknown;
  call(_name: string, _args: unknown[], _st: EvalState, _targs: string[]): unknown { return NO_MEMBER; }
}
