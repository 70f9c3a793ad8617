/**
 * A real systemd-style notify socket for tests: a python3 process (node-gyp needs python3, so it
 * is wherever the addon builds) binds a unix datagram socket (Node cannot) at a path or @abstract
 * name and prints each datagram as one JSON line with its arrival time on CLOCK_MONOTONIC, the
 * clock MONOTONIC_USEC uses. It exits on its own after `lifetimeSeconds`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface NotifyMessage {
  /** Arrival, CLOCK_MONOTONIC microseconds. */
  t: number;
  /** KEY=VALUE fields of the datagram, in order. */
  fields: Array<[string, string]>;
  text: string;
}

export interface NotifyReceiver {
  messages: NotifyMessage[];
  /** Resolves with the first message (at index >= `from`) that `pred` accepts. */
  waitFor(pred: (m: NotifyMessage) => boolean, from?: number, timeoutMs?: number): Promise<NotifyMessage>;
  close(): void;
}

const SCRIPT = `
import json, signal, socket, sys, time
signal.alarm(int(sys.argv[2]))
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + name[1:] if name.startswith('@') else name)
print(json.dumps({'bound': True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({'t': time.monotonic_ns() // 1000, 'text': data.decode('utf-8', 'replace')}), flush=True)
`;

/** A `fields` lookup: the value of `key` in `m`, or undefined. */
export function field(m: NotifyMessage, key: string): string | undefined {
  return m.fields.find(([k]) => k === key)?.[1];
}

export async function startNotifyReceiver(socketName: string, lifetimeSeconds = 120): Promise<NotifyReceiver> {
  const proc: ChildProcess = spawn('python3', ['-c', SCRIPT, socketName, String(lifetimeSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: NotifyMessage[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const bound = new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`notify receiver exited (${code}): ${stderr}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { bound?: boolean; t?: number; text?: string };
      if (parsed.bound) { resolve(); return; }
      const text = parsed.text!;
      const fields = text.split('\n').filter(Boolean).map((l): [string, string] => {
        const eq = l.indexOf('=');
        return [l.slice(0, eq), l.slice(eq + 1)];
      });
      messages.push({ t: parsed.t!, fields, text });
      for (const w of waiters) w();
    });
  });
  await bound;
  return {
    messages,
    waitFor: (pred, from = 0, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = messages.slice(from).find(pred);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`no such notify message; got ${JSON.stringify(messages.map((m) => m.text))}`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
      if (!check()) waiters.add(check);
    }),
    close: () => { proc.kill('SIGKILL'); },
  };
}
