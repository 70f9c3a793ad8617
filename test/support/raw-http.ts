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

/**
 * Sends raw bytes and reads until the server closes the connection (or `waitMs` passes): for
 * checks that the server answered once and then closed, leaving anything pipelined unanswered.
 */
export function rawUntilClose(port: number, payload: string | Buffer, waitMs = 3000): Promise<{ text: string; status: number | null; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => { /* a reset after the answer still counts as closed */ });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closedByServer });
    };
    socket.on('close', () => { closedByServer = true; finish(); });
    const timer = setTimeout(() => { socket.removeAllListeners('close'); finish(); }, waitMs);
  });
}
