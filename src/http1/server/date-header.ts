/**
 * The `Date` header line, rebuilt at most once a second (RFC 9110 §6.6.1 needs one-second
 * resolution): one comparison per response instead of formatting a date.
 */
let second = -1;
let line = '';

export function dateLine(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    line = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return line;
}
