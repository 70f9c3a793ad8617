/** Splits a child's stdout into lines: JSON ones into `logs`, anything else into `badLines`. */
import type { Readable } from 'node:stream';

export interface LogLine { level: string; msg: string; [key: string]: unknown }

export function collectJsonLines(stdout: Readable, logs: LogLine[], badLines: string[], onChunk: (added: LogLine[]) => void): void {
  let buffered = '';
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const added: LogLine[] = [];
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === '') continue;
      try { added.push(JSON.parse(line) as LogLine); } catch { badLines.push(line); }
    }
    logs.push(...added);
    onChunk(added);
  });
}
