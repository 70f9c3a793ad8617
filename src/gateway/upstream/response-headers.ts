/**
 * A backend response's header fields as the upstream client hands them to its handler: ranges of
 * the head's bytes, checked in place, copied as bytes into the client's head (writeFieldsCoded),
 * with a latin1 string made only for a field the handler reads as text (nameText, valueText,
 * pushField: one character per byte, so the bytes go out unchanged).
 *
 * Why not [name, value, …] for every field: a proxied response drops most of what a backend
 * sends (Date, Content-Length, Connection, Keep-Alive are the gateway's own).
 *
 * Valid only during `onHeaders`: the ranges index the connection's read buffer; the strings may
 * be kept.
 */
import { Buffer } from 'node:buffer';
import type { FieldList } from '../../http1/head-fields.js';
import { nameIs } from '../../http1/head-fields.js';
import { bufferNatives } from '../../shared/buffer-natives.js';
import type { HeadWriter } from '../../shared/head-writer.js';
import { NATIVE_IO, NATIVE_IO_HEAD, nativeBufferIndex } from '../../shared/native-buffers.js';
import { nativeAddon } from '../native.js';
import { connectionTokensOf, isHopByHopName } from './hop-by-hop.js';
import { RESPONSE_NAMES } from '../../http1/field-strings.js';

/** Module-local on purpose (see shared/buffer-natives.ts): folded, called directly. */
const latin1Slice = bufferNatives.latin1Slice;
const toLowerCase = String.prototype.toLowerCase;
/** The addon's field-line copier (native/src/copy_fields.c), or null without it. */
const copyFields = nativeAddon()?.copyFields ?? null;

export class ResponseHeaders {
  /** The bytes the field offsets index (the read buffer, or the parser's own copy of the head). */
  private source: Buffer = Buffer.alloc(0);
  private fields: FieldList | null = null;
  count = 0;
  /** What the proxy exchange does with each field, when the addon classified them (ResponseHead.fieldCodes), else null. */
  codes: Uint8Array | null = null;

  /** Points at a new head: `fields` index `source`; `codes` as ResponseHead.fieldCodes. */
  reset(source: Buffer, fields: FieldList, codes: Uint8Array | null = null): void {
    this.source = source;
    this.fields = fields;
    this.count = fields.count;
    this.codes = codes;
  }

  nameLength(i: number): number { return this.fields!.nameEnd(i) - this.fields!.nameStart(i); }

  /** The name's first byte, lower-cased when it is a letter. */
  nameFirstLower(i: number): number { return this.source[this.fields!.nameStart(i)] | 0x20; }

  /** The name equals `lower` ignoring ASCII case. */
  nameIs(i: number, lower: string): boolean {
    const f = this.fields!;
    return nameIs(this.source, f.nameStart(i), f.nameEnd(i), lower);
  }

  /** isHopByHop() of the name, read in place (hop-by-hop.ts). */
  isHopByHop(i: number): boolean {
    const f = this.fields!;
    return isHopByHopName(this.source, f.nameStart(i), f.nameEnd(i));
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

  /** RESPONSE_NAMES' index of the name (as written, case and all), or -1 when it is not listed there. */
  nameIndex(i: number): number {
    const f = this.fields!;
    return RESPONSE_NAMES.indexOf(this.source, f.nameStart(i), f.nameEnd(i));
  }

  /**
   * nameText and valueText of a field whose nameIndex() is `index`, into `out`: listed names and
   * the values that repeat come from field-strings.ts's table instead of new slices.
   */
  pushField(i: number, index: number, out: string[]): void {
    const f = this.fields!;
    out.push(index >= 0 ? RESPONSE_NAMES.entries[index] : latin1Slice.call(this.source, f.nameStart(i), f.nameEnd(i)),
      RESPONSE_NAMES.value(index, this.source, f.valueStart(i), f.valueEnd(i)));
  }

  /** Bytes field i takes as writeField writes it. */
  fieldBytes(i: number): number {
    const f = this.fields!;
    return f.nameEnd(i) - f.nameStart(i) + f.valueEnd(i) - f.valueStart(i) + 4;
  }

  /**
   * The fields whose code in `codes` is `code`, as the backend sent their names and values,
   * "Name: value" CRLF each, copied as bytes (no string): by the addon when the head and the
   * writer's buffer are registered with it (the read buffer, the staging buffer: nearly always),
   * else here.
   */
  writeFieldsCoded(codes: Uint8Array, code: number, w: HeadWriter): void {
    const f = this.fields!;
    const src = this.source;
    const count = this.count;
    if (copyFields !== null) {
      const from = nativeBufferIndex(src);
      const to = from < 0 ? -1 : nativeBufferIndex(w.buf);
      if (to >= 0) {
        const io = NATIVE_IO!;
        const offsets = f.offsets;
        let n = 0;
        for (let i = 0; i < count; i++) {
          if (codes[i] !== code) continue;
          const o = NATIVE_IO_HEAD + n * 4, k = i * 4;
          io[o] = offsets[k]; io[o + 1] = offsets[k + 1]; io[o + 2] = offsets[k + 2]; io[o + 3] = offsets[k + 3];
          n++;
        }
        io[0] = from; io[1] = to; io[2] = w.pos; io[3] = n;
        const next = copyFields();
        if (next >= 0) { w.pos = next; return; }
      }
    }
    for (let i = 0; i < count; i++) {
      if (codes[i] !== code) continue;
      w.bytes(src, f.nameStart(i), f.nameEnd(i));
      w.colonSpace();
      w.bytes(src, f.valueStart(i), f.valueEnd(i));
      w.crlf();
    }
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
}
