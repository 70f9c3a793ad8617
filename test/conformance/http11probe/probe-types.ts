/**
 * The shapes of the Http11Probe cases (MDA2AV/Http11Probe, MIT licence), ported as data: each case
 * is the bytes a client sends and the verdict the probe gives for what came back. The runner
 * (probe-runner.ts) reproduces the probe's client: one connection per case, read until the end
 * of the response head, wait briefly for the body, then check whether the server closed.
 */
export type Verdict = 'pass' | 'warn' | 'fail' | 'error' | 'skip';
export type ConnState = 'open' | 'closed' | 'timeout' | 'error';

export interface ProbeResponse {
  status: number;
  reason: string;
  version: string;
  /** Header names as sent (the probe's dictionary is case-insensitive: use header()). */
  headers: Map<string, string>;
  body: string;
  raw: string;
}

export interface StepResult {
  label: string;
  executed: boolean;
  response: ProbeResponse | null;
  state: ConnState;
}

export interface SendPart { payload: (host: string) => Uint8Array; delayAfterMs?: number; label?: string }
export interface ProbeStep { label?: string; payload?: (host: string) => Uint8Array; parts?: SendPart[] }

interface CaseBase { id: string; category: string; level: string; description: string }
export interface SingleCase extends CaseBase {
  payload: (host: string) => Uint8Array;
  judge: (response: ProbeResponse | null, state: ConnState) => Verdict;
}
export interface SequenceCase extends CaseBase {
  steps: ProbeStep[];
  judgeSteps: (steps: StepResult[]) => Verdict;
}
export type ProbeCase = SingleCase | SequenceCase;

export function toBytes(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** ExpectedBehavior without a custom validator: a status range, optionally "or the server closed". */
export function expect(range: [number, number] | null, opts: { close: boolean; state?: ConnState }) {
  return (response: ProbeResponse | null, state: ConnState): Verdict => {
    if (opts.state !== undefined && state === opts.state) return 'pass';
    if (opts.close && state === 'closed' && response === null) return 'pass';
    if (response === null) return opts.close ? 'pass' : 'fail';
    if (range !== null && response.status >= range[0] && response.status <= range[1]) return 'pass';
    return 'fail';
  };
}

/** Case-insensitive header lookup, as the probe's dictionary does. */
export function header(response: ProbeResponse, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of response.headers) if (k.toLowerCase() === want) return v;
  return undefined;
}

export function concatBytes(...parts: Array<Uint8Array | number[]>): Uint8Array {
  return Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
}

/** Status lines in a raw read: more than one means bytes inside a body were answered as a request. */
export function countHttpStatusLines(raw: string): number {
  return (raw.match(/HTTP\/\d\.\d \d{3}/g) ?? []).length;
}

/** The probe's reference app answers GET with "OK": a static answer cannot echo. */
export function isStaticResponse(body: string): boolean {
  return body === 'OK';
}

/** The body as the app sent it, de-chunked if the response was chunked. */
export function getEffectiveBody(response: ProbeResponse): string {
  const raw = response.body;
  if ((header(response, 'Transfer-Encoding') ?? '').toLowerCase().includes('chunked')) {
    let out = '';
    let pos = 0;
    while (pos < raw.length) {
      const lineEnd = raw.indexOf('\r\n', pos);
      if (lineEnd < 0) return raw.replace(/[\r\n]+$/, '');
      const size = parseInt(raw.slice(pos, lineEnd).split(';')[0].trim(), 16);
      if (Number.isNaN(size)) return raw.replace(/[\r\n]+$/, '');
      if (size === 0) return out;
      out += raw.slice(lineEnd + 2, lineEnd + 2 + size);
      pos = lineEnd + 2 + size + 2;
    }
    return out;
  }
  return raw.replace(/[\r\n]+$/, '');
}

export function echoValidator(expectedBody: string) {
  return (response: ProbeResponse | null, _state: ConnState): Verdict => {
    if (response === null || response.status < 200 || response.status >= 300) return 'fail';
    const body = getEffectiveBody(response);
    return body === expectedBody || isStaticResponse(body) ? 'pass' : 'fail';
  };
}

/**
 * NormalizationSuite: a malformed header name must be refused (4xx), dropped, or at worst kept as
 * it was; a server that turned it into the standard header it resembles fails.
 */
export function normalizationValidator(standardName: string, malformedName: string, probeValue: string) {
  return (response: ProbeResponse | null, state: ConnState): Verdict => {
    if (response === null) return state === 'closed' ? 'pass' : 'fail';
    if (response.status >= 400) return 'pass';
    if (response.status < 200 || response.status >= 300) return 'fail';
    const lines = response.body.split('\n').filter((l) => l.includes(':'));
    const echoed = lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as const)
      .filter(([, v]) => v.toLowerCase() === probeValue.toLowerCase());
    if (echoed.some(([n]) => n.toLowerCase() === standardName.toLowerCase() && n.toLowerCase() !== malformedName.toLowerCase())) return 'fail';
    if (echoed.some(([n]) => n.toLowerCase() === malformedName.toLowerCase())) return 'warn';
    return 'pass';
  };
}
