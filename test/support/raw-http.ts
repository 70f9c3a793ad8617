/** Sends raw bytes over a socket and collects what comes back: for malformed-request tests. */
import { connect } from 'node:net';

export interface RawResult { text: string; status: number | null; closed: boolean; error?: string }

/** `pieceDelayMs` > 0 sends the payload in 1 KiB pieces with that pause between them. */
export function rawRequest(port: number, payload: string | Buffer, waitMs = 1500, pieceDelayMs = 0): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let error: string | undefined;
    socket.on('connect', async () => {
      if (pieceDelayMs === 0) { socket.write(payload); return; }
      const bytes = Buffer.from(payload);
      for (let at = 0; at < bytes.length && !socket.destroyed; at += 1024) {
        socket.write(bytes.subarray(at, at + 1024));
        await new Promise((r) => setTimeout(r, pieceDelayMs));
      }
    });
    socket.on('data', (d) => {
      chunks.push(d);
      if (responseComplete(Buffer.concat(chunks).toString('latin1'))) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code; });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      socket.destroy();
      resolve({ text, status: m ? Number(m[1]) : null, closed, error });
    };
    socket.on('close', () => { closed = true; finish(); });
    const timer = setTimeout(finish, waitMs);
  });
}

/** Sends a head, waits for the interim response, then sends the body; returns all text received. */
export function rawExchange(port: number, head: string, body: string, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sentBody = false;
    socket.on('connect', () => socket.write(head));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (!sentBody && text.includes('100 Continue\r\n\r\n')) { sentBody = true; socket.write(body); }
      if (/\r\n\r\n\{.*\}$/s.test(text)) finish();
    });
    socket.on('error', () => finish());
    const timer = setTimeout(() => finish(), waitMs);
    function finish() { clearTimeout(timer); socket.destroy(); resolve(text); }
  });
}

/** True once a final (non-1xx) response with a Content-Length body has fully arrived. */
function responseComplete(text: string): boolean {
  const final = text.replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n\r\n)+/, '');
  const end = final.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length: (\d+)/i.exec(final.slice(0, end));
  return m !== null && final.length >= end + 4 + Number(m[1]);
}

export interface RawSession { text: string; statuses: number[]; closed: boolean }

/**
 * Sends `pieces` (one write each, `gapMs` apart) and collects everything until the server closes
 * the connection (or `waitMs` passes: then `closed` is false). `statuses` lists every final
 * response's status, in order.
 */
export function rawUntilClose(port: number, pieces: Array<string | Buffer> | string | Buffer, waitMs = 4000, gapMs = 0): Promise<RawSession> {
  const list = Array.isArray(pieces) ? pieces : [pieces];
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('connect', async () => {
      for (const p of list) {
        if (socket.destroyed) break;
        socket.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, statuses: finalStatuses(text), closed });
    };
    socket.on('close', () => { closed = true; finish(); });
    const timer = setTimeout(finish, waitMs);
  });
}

/** Statuses of the final responses in `text`, read in sequence (Content-Length or chunked bodies). */
function finalStatuses(text: string): number[] {
  const statuses: number[] = [];
  let at = 0;
  while (at < text.length) {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text.slice(at, at + 16));
    if (m === null) break;
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const head = text.slice(at, headEnd);
    const status = Number(m[1]);
    at = headEnd + 4;
    if (status < 200) continue;
    statuses.push(status);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) { at += Number(length[1]); continue; }
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) return statuses;
        const size = parseInt(text.slice(at, lineEnd), 16);
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      continue;
    }
    if (status === 204 || status === 304) continue;
    break; // close-delimited: the rest is its body
  }
  return statuses;
}
