/** Sends raw bytes over a socket and collects what comes back: for malformed-request tests. */
import { connect } from 'node:net';

export interface RawResult { text: string; status: number | null; closed: boolean; error?: string }

export function rawRequest(port: number, payload: string | Buffer, waitMs = 1500): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let error: string | undefined;
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code; });
    const finish = () => {
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
