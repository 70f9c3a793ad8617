/**
 * Runs Http11Probe cases against a server the way the probe's own client does
 * (src/Http11Probe/Client/RawTcpClient.cs, Runner/TestRunner.cs): one TCP connection per case;
 * send the bytes; read until the end of a response head (or close, or the read timeout); wait
 * 100 ms and take whatever else is already there; if the connection still looks open, wait 50 ms
 * and look again. Sequence cases send their steps on one connection, stopping once it closes.
 */
import { connect, type Socket } from 'node:net';
import type { ConnState, ProbeCase, ProbeResponse, StepResult, Verdict } from './probe-types.js';

export interface CaseResult { id: string; category: string; verdict: Verdict; status: number | null; state: ConnState }

/** The probe waits 5 s; a shorter wait keeps the suite bounded and only matters for servers that hold. */
const READ_TIMEOUT_MS = 2_000;

class ProbeConnection {
  private chunks: Buffer[] = [];
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.chunks.push(d); this.wake?.(); });
    socket.on('close', () => { this.closed = true; this.wake?.(); });
    socket.on('error', () => { this.closed = true; this.wake?.(); });
  }

  static open(port: number): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new ProbeConnection(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    if (bytes.length > 0) this.socket.write(bytes);
    return true;
  }

  private waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }

  /** ReadResponseAsync: the bytes read and the state they left the connection in. */
  async readResponse(): Promise<{ data: Buffer; state: ConnState }> {
    const deadline = Date.now() + READ_TIMEOUT_MS;
    for (;;) {
      const data = Buffer.concat(this.chunks);
      if (data.indexOf('\r\n\r\n') >= 0) break;
      if (this.closed) { this.chunks = []; return { data, state: 'closed' }; }
      const left = deadline - Date.now();
      if (left <= 0) { this.chunks = []; return { data, state: 'timeout' }; }
      await this.waitFor(left);
    }
    await new Promise((r) => setTimeout(r, 100));
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    let state: ConnState = 'open';
    if (this.closed) state = 'closed';
    else {
      await new Promise((r) => setTimeout(r, 50));
      if (this.closed) state = 'closed';
    }
    return { data, state };
  }

  destroy(): void { this.socket.destroy(); }
}

/** ResponseParser.TryParse: lenient, like the probe's (it must read what any server sends). */
export function parseProbeResponse(data: Buffer): ProbeResponse | null {
  if (data.length === 0) return null;
  const text = data.toString('latin1');
  const lineEnd = text.indexOf('\n');
  if (lineEnd < 0) return null;
  const statusLine = text.slice(0, lineEnd).replace(/\r$/, '');
  const sp1 = statusLine.indexOf(' ');
  if (sp1 < 0) return null;
  const rest = statusLine.slice(sp1 + 1);
  const sp2 = rest.indexOf(' ');
  const code = sp2 >= 0 ? rest.slice(0, sp2) : rest;
  if (!/^[+-]?\d+$/.test(code.trim())) return null;
  const headers = new Map<string, string>();
  let pos = lineEnd + 1;
  while (pos < text.length) {
    let next = text.indexOf('\n', pos);
    if (next < 0) next = text.length;
    const line = text.slice(pos, next).replace(/\r$/, '');
    if (line.length === 0) break;
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const existing = [...headers.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
      if (existing !== undefined) headers.set(existing, `${headers.get(existing)}, ${value}`);
      else headers.set(name, value);
    }
    pos = next + 1;
  }
  const headEnd = text.indexOf('\r\n\r\n');
  const body = headEnd >= 0 ? text.slice(headEnd + 4, headEnd + 4 + 4096) : '';
  return { status: Number(code), reason: sp2 >= 0 ? rest.slice(sp2 + 1) : '', version: statusLine.slice(0, sp1), headers, body, raw: text };
}

export async function runCase(port: number, c: ProbeCase): Promise<CaseResult> {
  const host = `localhost:${port}`;
  let conn: ProbeConnection;
  try { conn = await ProbeConnection.open(port); } catch {
    return { id: c.id, category: c.category, verdict: 'error', status: null, state: 'error' };
  }
  try {
    if ('payload' in c) {
      conn.send(c.payload(host));
      const { data, state } = await conn.readResponse();
      const response = parseProbeResponse(data);
      return { id: c.id, category: c.category, verdict: c.judge(response, state), status: response?.status ?? null, state };
    }
    const steps: StepResult[] = [];
    let state: ConnState = 'open';
    let status: number | null = null;
    for (const [i, step] of c.steps.entries()) {
      const label = step.label ?? `Step ${i + 1}`;
      if (state !== 'open') { steps.push({ label, executed: false, response: null, state }); continue; }
      const parts = step.parts ?? [{ payload: step.payload! }];
      for (const part of parts) {
        if (!conn.send(part.payload(host))) { state = 'closed'; break; }
        if (part.delayAfterMs) await new Promise((r) => setTimeout(r, part.delayAfterMs));
      }
      const read = await conn.readResponse();
      const response = parseProbeResponse(read.data);
      state = read.state;
      status ??= response?.status ?? null;
      steps.push({ label, executed: true, response, state });
    }
    return { id: c.id, category: c.category, verdict: c.judgeSteps(steps), status, state };
  } finally {
    conn.destroy();
  }
}

/** Runs every case, `parallel` at a time (each case has its own connection, as in the probe). */
export async function runCases(port: number, cases: ProbeCase[], parallel = 8): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(port, cases[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return results;
}
