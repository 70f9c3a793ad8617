/**
 * The `Date` header line, rebuilt at most once a second (RFC 9110 §6.6.1 needs one-second
 * resolution): one comparison per response instead of formatting a date.
 */
import { iterationNow } from '../../shared/iteration-writes.js';

let second = -1;
let line = '';

export function dateLine(): string {
  const now = iterationNow();
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    line = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return line;
}
