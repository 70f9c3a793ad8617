/**
 * Regex.Match, Regex.Matches and Match's members as .NET has them: Success, Value, Index, Length,
 * Groups (by number or name; an unknown one is a failed group, as in .NET), each Group's Success,
 * Value, Index, Length, Name and Captures (every iteration of a repeated group), NextMatch().
 * Matching runs on the capturing Pike VM (../regex/pike-captures.ts), linear in the input, its
 * steps counted against the evaluation's budget. Patterns use the engine's subset (no
 * backreferences or lookaround: a literal one is a compile error, a run-time one ArgumentException).
 */
import { declareMembers } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { NO_MEMBER } from './cs-view.js';
import { argumentError } from './cs-error.js';
import { RegexMatch } from './cs-values.js';
import { MAX_MATCH_INPUT } from '../ast.js';
import type { CaptureVm } from '../regex/index.js';

declareMembers(['Groups', 'Captures', 'Index', 'NextMatch', 'Matches', 'Success', 'Value', 'Length', 'Name', 'Count']);

/** Most matches Regex.Matches collects (each costs at least one step). */
const MAX_MATCHES = 10_000;

/** A Capture (and the Capture part of a Group): where in the input, and the text. */
export class RegexCapture {
  readonly csType: string = 'Capture';
  constructor(readonly input: string, readonly index: number, readonly length: number) {}
  get value(): string { return this.input.slice(this.index, this.index + this.length); }
}

export class RegexGroup extends RegexCapture {
  override readonly csType = 'Group';
  constructor(input: string, index: number, length: number, readonly success: boolean, readonly name: string, readonly captures: RegexCapture[]) {
    super(input, index, length);
  }
}

/** Match.Groups: indexed by number or name. */
export class GroupCollection {
  readonly csType = 'GroupCollection';
  constructor(readonly match: RegexMatch) {}
}

function checkInput(input: string): void {
  if (input.length > MAX_MATCH_INPUT) throw argumentError(`Regex input longer than ${MAX_MATCH_INPUT} characters.`);
}

/** The first match of `vm` in `input` at or after `from` (always a Match; Success says whether). */
export function runMatch(vm: CaptureVm, input: string, from: number, st: EvalState): RegexMatch {
  checkInput(input);
  const r = vm.exec(input, from);
  st.step(vm.lastSteps);
  return new RegexMatch(input, r?.caps ?? null, r?.history ?? null, vm);
}

/** Regex.Matches: successive non-overlapping matches; after an empty match the next search starts one further, as .NET does. */
export function runMatches(vm: CaptureVm, input: string, st: EvalState): RegexMatch[] {
  const out: RegexMatch[] = [];
  let m = runMatch(vm, input, 0, st);
  while (m.success && out.length < MAX_MATCHES) {
    out.push(m);
    m = nextMatch(m, st);
  }
  return st.items(out);
}

function nextMatch(m: RegexMatch, st: EvalState): RegexMatch {
  if (!m.success || m.vm === null) return new RegexMatch(m.input, null, null, m.vm);
  const [start, end] = [m.caps![0], m.caps![1]];
  const from = end === start ? end + 1 : end;
  if (from > m.input.length) return new RegexMatch(m.input, null, null, m.vm);
  return runMatch(m.vm, m.input, from, st);
}

/** Group `key` (a number, or a name, or a number written as a string) of a match. */
export function group(m: RegexMatch, key: unknown): RegexGroup {
  const failed = (name: string) => new RegexGroup(m.input, 0, 0, false, name, []);
  if (m.vm === null) return failed(String(key));
  const groups = m.vm.groups;
  let n: number | undefined;
  if (typeof key === 'number' && Number.isInteger(key)) n = key;
  else if (typeof key === 'string') n = groups.names.get(key) ?? (/^\d+$/.test(key) ? Number(key) : undefined);
  if (n === undefined || n < 0 || n >= groups.count) return failed(String(key));
  const name = [...groups.names].find(([, num]) => num === n)?.[0] ?? String(n);
  if (m.caps === null) return failed(name);
  if (n === 0) return new RegexGroup(m.input, m.caps[0], m.caps[1] - m.caps[0], true, '0', [new RegexCapture(m.input, m.caps[0], m.caps[1] - m.caps[0])]);
  // The slots that make group n (one, unless a name repeats), and their captures in order.
  const slots = new Set<number>();
  groups.numberOfSlot.forEach((num, slot) => { if (slot > 0 && num === n) slots.add(slot); });
  const captures: RegexCapture[] = [];
  for (let h = m.history; h !== null; h = h.prev) if (slots.has(h.slot)) captures.push(new RegexCapture(m.input, h.start, h.end - h.start));
  captures.reverse();
  const last = captures[captures.length - 1];
  return last === undefined ? failed(name) : new RegexGroup(m.input, last.index, last.length, true, name, captures);
}

export function regexProp(recv: unknown, name: string): unknown {
  if (recv instanceof RegexMatch) {
    switch (name) {
      case 'Success': return recv.success;
      case 'Value': return recv.value;
      case 'Index': return recv.caps === null ? 0 : recv.caps[0];
      case 'Length': return recv.caps === null ? 0 : recv.caps[1] - recv.caps[0];
      case 'Groups': return new GroupCollection(recv);
      case 'Captures': return recv.success ? [new RegexCapture(recv.input, recv.caps![0], recv.caps![1] - recv.caps![0])] : [];
      case 'Name': return '0';
    }
    return NO_MEMBER;
  }
  if (recv instanceof RegexCapture) {
    switch (name) {
      case 'Value': return recv.value;
      case 'Index': return recv.index;
      case 'Length': return recv.length;
    }
    if (recv instanceof RegexGroup) {
      switch (name) {
        case 'Success': return recv.success;
        case 'Name': return recv.name;
        case 'Captures': return recv.captures;
      }
    }
    return NO_MEMBER;
  }
  if (recv instanceof GroupCollection) return name === 'Count' ? (recv.match.vm?.groups.count ?? 1) : NO_MEMBER;
  return NO_MEMBER;
}

export function regexMethod(recv: unknown, name: string, st: EvalState): unknown {
  if (recv instanceof RegexMatch && name === 'NextMatch') return nextMatch(recv, st);
  if (recv instanceof RegexCapture && name === 'ToString') return recv.value;
  return NO_MEMBER;
}

/** Every group of a match, in number order (foreach over Match.Groups). */
export function allGroups(c: GroupCollection): RegexGroup[] {
  const count = c.match.vm?.groups.count ?? 1;
  const out: RegexGroup[] = [];
  for (let i = 0; i < count; i++) out.push(group(c.match, i));
  return out;
}
