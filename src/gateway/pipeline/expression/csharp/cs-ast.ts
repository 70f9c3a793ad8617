/**
 * The plain-data tree of a policy expression (APIM's C# subset), and of Outpost's own condition
 * language, which lowers to it (see ../bind.ts): one tree, one evaluator (rule 9 of DESIGN.md).
 *
 * Trees are built at config load, in the compiler thread, travel in the compiled table (msgpack),
 * and are bound into closures once per generation in each worker (cs-bind.ts). Every node carries
 * `p`, its 1-based offset in the expression source, for run-time error messages. Member and
 * method names were checked against the supported subset at parse time, so binding never meets
 * a name it does not know.
 */
export type Lit = string | number | boolean | null;

export type Node =
  | { k: 'lit'; v: Lit; p: number; int?: boolean }
  /** `context`, the root of everything a request offers. */
  | { k: 'ctx'; p: number }
  /** A local or lambda parameter: its slot in the evaluation's frame (numbered at parse time). */
  | { k: 'loc'; slot: number; name: string; p: number }
  /** A static type as the receiver of a static member (`Convert`, `DateTime`...). */
  | { k: 'type'; name: string; p: number }
  /** `o.name` or, with nc, `o?.name`. */
  | { k: 'mem'; o: Node; name: string; nc: boolean; p: number }
  | { k: 'idx'; o: Node; args: Node[]; nc: boolean; p: number }
  /** A method call `o.name<targs>(args)`; `o` is a type node for static calls. */
  | { k: 'call'; o: Node; name: string; targs: string[]; args: Node[]; nc: boolean; p: number }
  /** `init`: collection initializer groups (each an Add call); `index`: `[key] = value` initializers; `props`: `Name = value` ones. */
  | { k: 'new'; type: string; args: Node[]; init: Node[][] | null; index?: Array<[Node, Node]>; props?: Array<[string, Node]>; p: number }
  /** `new[] { ... }`, `new T[] { ... }`; with bytes, `new byte[] { ... }` (a Uint8Array). */
  | { k: 'arr'; items: Node[]; bytes?: boolean; p: number }
  | { k: 'un'; op: '!' | '-' | '+' | '~'; a: Node; p: number }
  /** `++x`, `x--`... on a local. */
  | { k: 'inc'; target: Node; delta: 1 | -1; prefix: boolean; p: number }
  | { k: 'bin'; op: string; a: Node; b: Node; p: number }
  | { k: 'cond'; c: Node; a: Node; b: Node; p: number }
  | { k: 'cast'; type: string; a: Node; p: number }
  | { k: 'is'; a: Node; type: string; slot: number | null; not: boolean; p: number }
  | { k: 'as'; a: Node; type: string; p: number }
  | { k: 'lam'; params: number[]; body: Node | Stmt; p: number }
  /** `$"..{x}.."`: literal parts and holes, each hole with its format (`{x:yyyy}`), or null. */
  | { k: 'interp'; parts: Array<string | { e: Node; fmt: string | null }>; p: number }
  | { k: 'asg'; op: string; target: Node; value: Node; p: number }
  /** `out var x` / `out T x` in a call's arguments (TryParse, TryGetValue, TryParseJwt): the slot receives the value. */
  | { k: 'out'; slot: number; p: number }
  /** A call of a local function of the block: its index in Program.fns (resolved when the whole block is parsed). */
  | { k: 'lcall'; fn: number; name: string; args: Node[]; p: number }
  /** Outpost's condition-language operations (lowered from ../parse.ts), run by the same evaluator. */
  | { k: 'op'; name: string; args: Node[]; key: string | null; p: number };

export type Stmt =
  | { k: 'block'; body: Stmt[]; p: number }
  | { k: 'decl'; slots: number[]; inits: Array<Node | null>; p: number }
  | { k: 'expr'; e: Node; p: number }
  | { k: 'if'; c: Node; then: Stmt; else: Stmt | null; p: number }
  | { k: 'return'; e: Node | null; p: number }
  | { k: 'foreach'; slot: number; of: Node; body: Stmt; p: number }
  | { k: 'for'; init: Stmt | null; c: Node | null; step: Node[]; body: Stmt; p: number }
  | { k: 'while'; c: Node; body: Stmt; p: number }
  | { k: 'switch'; on: Node; cases: Array<{ labels: Array<Node | null>; body: Stmt[] }>; p: number }
  | { k: 'break' | 'continue'; p: number }
  | { k: 'try'; body: Stmt; slot: number | null; handler: Stmt; p: number };

/**
 * A local function of a `@{...}` block (`int F(int x) { ... }`): its parameters' slots, and the
 * slots it owns [first, end) (parameters and its locals), saved and restored around each call
 * so that recursion sees its own frame.
 */
export interface LocalFn { name: string; params: number[]; first: number; end: number; body: Stmt; isVoid: boolean; p: number }

/** A compiled expression: `@(...)` is an expression, `@{...}` a block whose `return` gives the value. */
export type Program = { kind: 'expr'; e: Node; slots: number } | { kind: 'block'; s: Stmt; slots: number; fns?: LocalFn[] };
