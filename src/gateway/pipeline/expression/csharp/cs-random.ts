/**
 * System.Random, which APIM's expressions allow (real policies pick a backend or mock a value with
 * it): `new Random()`, `new Random(seed)`, `Next()`, `Next(max)`, `Next(min, max)`, `NextDouble()`,
 * with .NET's ranges and argument checks. Not cryptographic, as in .NET. A seeded Random gives the
 * same sequence for the same seed (mulberry32), though not .NET's sequence: policies use the seed
 * to vary per request, never to reproduce particular numbers.
 */
import { declareMembers } from './cs-names.js';
import { CsRuntimeError } from './cs-error.js';
import { NO_MEMBER } from './cs-view.js';

declareMembers(['Next', 'NextDouble']);

const INT_MAX = 2_147_483_647;

export class CsRandom {
  readonly csType = 'Random';
  private state: number;
  private readonly seeded: boolean;

  constructor(seed?: unknown) {
    this.seeded = seed !== undefined;
    this.state = this.seeded ? Number(seed) | 0 : 0;
  }

  /** A double in [0, 1). */
  sample(): number {
    if (!this.seeded) return Math.random();
    // mulberry32: a small, well-mixed 32-bit generator.
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}

const outOfRange = (detail: string): CsRuntimeError => new CsRuntimeError('ArgumentOutOfRangeException', detail);

export function randomMethod(r: CsRandom, name: string, args: unknown[]): unknown {
  if (name === 'NextDouble' && args.length === 0) return r.sample();
  if (name !== 'Next' || args.length > 2) return NO_MEMBER;
  const [a, b] = args.map((x) => Math.trunc(Number(x)));
  const [min, max] = args.length === 2 ? [a, b] : [0, args.length === 1 ? a : INT_MAX];
  if (args.length === 1 && max < 0) throw outOfRange("'maxValue' must be greater than or equal to zero.");
  if (min > max) throw outOfRange("'minValue' cannot be greater than maxValue.");
  return min + Math.floor(r.sample() * (max - min));
}
