/**
 * A backend response's header fields as the upstream client hands them to its handler: ranges of
 * the head's bytes, checked in place, with a Buffer made only for a field the handler keeps.
 *
 * Why not [name, value, …] Buffers for every field: a proxied response drops most of what a
 * backend sends (Date, Content-Length, Connection, Keep-Alive are the gateway's own), and each
 * Buffer is a typed-array construction (~60 ns in the worker): ten per response behind nginx,
 * of which four were kept.
 *
 * Valid only during `onHeaders`. Buffers from name() and value() may be kept: they are views of a
 * copy of the head (made on the first one), never of the connection's shared read buffer.
 */
import { Buffer } from 'node:buffer';
import type { FieldList } from '../../http1/head-fields.js';
import { nameIs } from '../../http1/head-fields.js';
import { bufferNatives, copyOf } from '../../shared/buffer-natives.js';
import { connectionTokensOf } from './hop-by-hop.js';

/** Module-local on purpose (see shared/buffer-natives.ts): folded, called directly. */
const latin1Slice = bufferNatives.latin1Slice;
const toLowerCase = String.prototype.toLowerCase;

export class ResponseHeaders {
  /** The bytes the field offsets index (the read buffer, or the parser's own copy of the head). */
  private source: Buffer = Buffer.alloc(0);
  /** The head's range in `source`. */
  private headStart = 0;
  private headEnd = 0;
  /** `source` may be overwritten after the call (the worker's shared read buffer): copy before a view. */
  private sourceVolatile = false;
  private fields: FieldList | null = null;
  /** The ArrayBuffer views are made of (a copy's, or the source's) and where `source`'s index 0 falls in it. */
  private keptBytes: ArrayBufferLike | null = null;
  private keptBase = 0;
  count = 0;

  /** Points at a new head: `fields` index `source`; the head is source[headStart, headEnd). */
  reset(source: Buffer, headStart: number, headEnd: number, volatile: boolean, fields: FieldList): void {
    this.source = source;
    this.headStart = headStart;
    this.headEnd = headEnd;
    this.sourceVolatile = volatile;
    this.fields = fields;
    this.count = fields.count;
    this.keptBytes = null;
  }

  nameLength(i: number): number { return this.fields!.nameEnd(i) - this.fields!.nameStart(i); }

  /** The name's first byte, lower-cased when it is a letter. */
  nameFirstLower(i: number): number { return this.source[this.fields!.nameStart(i)] | 0x20; }

  /** The name equals `lower` ignoring ASCII case. */
  nameIs(i: number, lower: string): boolean {
    const f = this.fields!;
    return nameIs(this.source, f.nameStart(i), f.nameEnd(i), lower);
  }

  /** The name, lower-cased (names are tokens: ASCII). */
  lowerName(i: number): string {
    const f = this.fields!;
    return toLowerCase.call(latin1Slice.call(this.source, f.nameStart(i), f.nameEnd(i)));
  }

  /** The name as latin1 text, as the backend wrote it. */
  nameText(i: number): string {
    const f = this.fields!;
    return latin1Slice.call(this.source, f.nameStart(i), f.nameEnd(i));
  }

  /** The value as latin1 text (one character per byte). */
  valueText(i: number): string {
    const f = this.fields!;
    return latin1Slice.call(this.source, f.valueStart(i), f.valueEnd(i));
  }

  /** The value's digits as a number (a Content-Length the parser already checked). */
  valueDecimal(i: number): number {
    const f = this.fields!;
    const src = this.source;
    let n = 0;
    for (let p = f.valueStart(i), end = f.valueEnd(i); p < end; p++) n = n * 10 + src[p] - 0x30;
    return n;
  }

  /** connectionTokensOf() of field i's value, read in place. */
  connectionTokens(i: number): Set<string> | null {
    const f = this.fields!;
    return connectionTokensOf(this.source, f.valueStart(i), f.valueEnd(i));
  }

  name(i: number): Buffer { return this.view(this.fields!.nameStart(i), this.fields!.nameEnd(i)); }
  value(i: number): Buffer { return this.view(this.fields!.valueStart(i), this.fields!.valueEnd(i)); }

  /** Every field as [name, value, …] Buffers (for a handler that keeps them all). */
  toBuffers(): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.name(i), this.value(i));
    return out;
  }

  /** A Buffer of source[start, end) that outlives the call. */
  private view(start: number, end: number): Buffer {
    if (this.keptBytes === null) this.keep();
    return Buffer.from(this.keptBytes!, this.keptBase + start, end - start);
  }

  private keep(): void {
    // One copy of the head when the source is the shared read buffer; else views of the source.
    // The ArrayBuffer and offset are read once: Buffer#subarray reads `.buffer` and
    // `.byteOffset` per call, accessors TurboFan leaves as generic loads.
    if (this.sourceVolatile) {
      const copy = copyOf(this.source, this.headStart, this.headEnd);
      this.keptBytes = copy.buffer;
      this.keptBase = copy.byteOffset - this.headStart;
    } else {
      this.keptBytes = this.source.buffer;
      this.keptBase = this.source.byteOffset;
    }
  }
}
