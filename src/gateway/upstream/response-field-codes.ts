/**
 * What the proxy exchange does with each field of a backend's response: keep it, or drop it as the
 * gateway's own (its correlation id, Date, Content-Length, whose value it takes) or as hop-by-hop
 * (RFC 9110 §7.6.1: the fixed names, Proxy-*, and those a Connection field names). One code per
 * field. The native addon gives the same codes while it scans a head (native/src/head_fields.c,
 * read_response_fields; ResponseHead.fieldCodes) unless a Connection field names other fields; this is the
 * rule for every other head, and what test/unit/response-field-codes.test.ts holds the addon to.
 */
import { mayNeedResponseInspection } from './hop-by-hop.js';
import type { ResponseHeaders } from './response-headers.js';

export const FIELD_KEEP = 0;
export const FIELD_REQUEST_ID = 1;
export const FIELD_CONTENT_LENGTH = 2;
export const FIELD_DATE = 3;
export const FIELD_HOP_BY_HOP = 4;
export const FIELD_NAMED_BY_CONNECTION = 5;

/** Writes the code of each of `headers`' fields into `codes` (room for headers.count). */
export function responseFieldCodes(headers: ResponseHeaders, codes: Uint8Array): void {
  const count = headers.count;
  let dropped: Set<string> | null = null;
  for (let i = 0; i < count; i++) {
    if (headers.nameLength(i) !== 10 || !headers.nameIs(i, 'connection')) continue;
    // Every Connection field counts (a backend may send several).
    const named = headers.connectionTokens(i);
    if (named !== null) { if (dropped === null) dropped = named; else for (const t of named) dropped.add(t); }
  }
  for (let i = 0; i < count; i++) {
    const length = headers.nameLength(i);
    let code = FIELD_KEEP;
    // The gateway's correlation id replaces the backend's (the server writes it on the head).
    if (length === 12 && headers.nameIs(i, 'x-request-id')) code = FIELD_REQUEST_ID;
    // Only names of a few lengths (or Proxy-*) can be anything but kept, when Connection names nothing else.
    else if (dropped === null && !mayNeedResponseInspection(length, headers.nameFirstLower(i))) code = FIELD_KEEP;
    else if (length === 14 && headers.nameIs(i, 'content-length')) code = FIELD_CONTENT_LENGTH;
    // The server writes its own Date; a second one would be a duplicate header.
    else if (length === 4 && headers.nameIs(i, 'date')) code = FIELD_DATE;
    // Hop-by-hop names compared as bytes; a lower-cased string only when Connection named others to drop.
    else if (headers.isHopByHop(i)) code = FIELD_HOP_BY_HOP;
    else if (dropped !== null && dropped.has(headers.lowerName(i))) code = FIELD_NAMED_BY_CONNECTION;
    codes[i] = code;
  }
}
