/**
 * Just enough of the Dockerfile syntax to replay a stage in a test: comments, line continuations
 * (`\` at the end of a line), one instruction per logical line, stages split at FROM.
 */
export interface Instruction { name: string; args: string }

export function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue; // comment lines inside a continuation are dropped too
    if (line.endsWith('\\')) { pending += line.slice(0, -1) + ' '; continue; }
    const logical = (pending + line).trim();
    pending = '';
    if (logical === '') continue;
    const space = logical.search(/\s/);
    const name = (space < 0 ? logical : logical.slice(0, space)).toUpperCase();
    const args = space < 0 ? '' : logical.slice(space + 1).trim();
    if (name === 'FROM') stages.push([]);
    stages.at(-1)?.push({ name, args });
  }
  return stages;
}
