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

/**
 * The next dateLine() rebuilds the line. For the warm-up (src/gateway/worker/warm-up.ts): a
 * warm-up shorter than a second may never rebuild it after V8 starts keeping type feedback, and
 * the first rebuild under real traffic then deoptimized dateLine (`new Date` had none).
 */
export function forgetDateLine(): void {
  second = -1;
}
