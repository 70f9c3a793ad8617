/**
 * Splits a child's stdout into lines: JSON ones into `logs`, anything else into `badLines`.
 *
 * A gateway started with one of V8's traces (`--trace-deopt`, a test's `nodeFlags`) shares its stdout
 * with them: V8 prints through C stdio, fully buffered into the pipe, so a trace line can leave in
 * two writes, and a log line the gateway wrote (one write) in between arrives glued to the end of
 * the trace line's first part. Such a log line is taken from the end of the bad line (what comes
 * before it still goes to `badLines`): without this, a traced start now and then never saw
 * `gateway started` and timed out.
 */
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
      try { added.push(JSON.parse(line) as LogLine); } catch {
        const glued = gluedLogLine(line);
        if (glued === null) badLines.push(line);
        else { badLines.push(line.slice(0, glued.at)); added.push(glued.log); }
      }
    }
    logs.push(...added);
    onChunk(added);
  });
}

/** A JSON object that ends `line` after something else (a trace's first part): null when there is none. */
function gluedLogLine(line: string): { at: number; log: LogLine } | null {
  for (let at = line.indexOf('{"', 1); at > 0; at = line.indexOf('{"', at + 1)) {
    try {
      const log = JSON.parse(line.slice(at)) as unknown;
      if (log !== null && typeof log === 'object' && !Array.isArray(log)) return { at, log: log as LogLine };
    } catch { /* not from here */ }
  }
  return null;
}
