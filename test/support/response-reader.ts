/**
 * Reads a server's answers off one raw keep-alive connection (plain TCP or TLS), in order, for
 * tests that write their requests as bytes and compare the answers' heads line by line.
 */
import type { Socket } from 'node:net';

export interface Answer { status: number; lines: string[]; body: string; raw: string }

export class ResponseReader {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.buffered = Buffer.concat([this.buffered, d]); this.waiting?.(); });
    socket.on('error', () => undefined);
  }

  /** The next answer (Content-Length or chunked framing; `noBody` for HEAD, 204 and 304); head lines and body as latin1. */
  async next(noBody = false, timeoutMs = 5000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse(noBody);
      if (parsed !== null) return parsed;
      if (Date.now() > deadline) throw new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(this.buffered.toString('latin1', 0, 2000))}`);
      await new Promise<void>((r) => { this.waiting = r; setTimeout(r, 50); });
    }
  }

  close(): void { this.socket.destroy(); }

  private parse(noBody: boolean): Answer | null {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const text = this.buffered.toString('latin1', 0, end);
    const [statusLine, ...lines] = text.split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    let at = end + 4;
    let body = '';
    const length = lines.find((l) => /^content-length:/i.test(l));
    if (noBody) { /* the head alone */ } else if (length !== undefined) {
      const n = Number(length.split(':')[1]);
      if (this.buffered.length < at + n) return null;
      body = this.buffered.toString('latin1', at, at + n);
      at += n;
    } else {
      // Chunked: read chunks up to the last one.
      for (;;) {
        const lineEnd = this.buffered.indexOf('\r\n', at);
        if (lineEnd < 0) return null;
        const size = parseInt(this.buffered.toString('latin1', at, lineEnd), 16);
        if (this.buffered.length < lineEnd + 2 + size + 2) return null;
        body += this.buffered.toString('latin1', lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
    }
    const raw = this.buffered.toString('latin1', 0, at);
    this.buffered = this.buffered.subarray(at);
    return { status, lines, body, raw };
  }
}
