/**
 * jose, loaded on first use: only validate-jwt and validate-azure-ad-token need it, at request
 * time, but importing it with them cost every worker and every compiler thread about 80 ms of
 * start-up (a fresh import here), and the compiler thread starts on each reload once it has gone
 * idle. The first token a process checks waits for the import once.
 */
type Jose = typeof import('jose');

let loading: Promise<Jose> | null = null;

export function jose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}
