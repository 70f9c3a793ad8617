/**
 * The programs the bench drives: wrk and nginx are required (load generator, backend, reference
 * proxy); HAProxy and Caddy are peers, skipped with a line saying why when they cannot be had;
 * valgrind is bench:instructions' counter.
 * Missing ones are installed with apt-get (Debian package names), and the bench says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export type Tool = 'wrk' | 'nginx' | 'haproxy' | 'caddy' | 'valgrind';

/** Debian packages for each tool, tried in order (nginx-light is the smaller nginx build). */
const PACKAGES: Record<Tool, string[]> = { wrk: ['wrk'], nginx: ['nginx-light', 'nginx'], haproxy: ['haproxy'], caddy: ['caddy'], valgrind: ['valgrind'] };

function find(tool: Tool): string | null {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

function apt(args: string[], timeoutMs: number): string | null {
  const r = spawnSync('apt-get', args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status === 0) return null;
  const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-2).join(' ');
  return r.error ? r.error.message : `exit ${r.status}: ${tail}`;
}

/**
 * Paths of the wanted tools; a tool that is neither present nor installable maps to null and its
 * reason is in `notes`.
 */
export function ensureTools(wanted: Tool[], notes: string[]): Map<Tool, string | null> {
  const found = new Map<Tool, string | null>(wanted.map((t) => [t, find(t)]));
  const missing = wanted.filter((t) => !found.get(t));
  if (missing.length === 0) return found;
  const line = `installing ${missing.join(', ')}: apt-get update && apt-get install -y ${missing.map((t) => PACKAGES[t].join('|')).join(' ')}`;
  process.stderr.write(`${line}\n`);
  notes.push(line);
  const updateError = apt(['update', '-q'], 180_000);
  if (updateError) notes.push(`apt-get update failed (${updateError}); trying the install anyway`);
  for (const tool of missing) {
    const errors: string[] = [];
    for (const pkg of PACKAGES[tool]) {
      const err = apt(['install', '-y', '-q', '--no-install-recommends', pkg], 300_000);
      if (!err) break;
      errors.push(`${pkg}: ${err}`);
    }
    found.set(tool, find(tool));
    if (!found.get(tool)) {
      const why = `${tool} could not be installed (${errors.join('; ') || 'not on PATH after install'}): skipped`;
      process.stderr.write(`${why}\n`);
      notes.push(why);
    }
  }
  return found;
}

/** The first line of a tool's version output (nginx and wrk print it on stderr). */
export function toolVersion(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find(Boolean);
  // Keep the version, drop the banner's copyright and URL tails.
  return (text ?? 'unknown').replace(/\s+(Copyright|-\s+https?:).*$/, '');
}

export const VERSION_ARGS: Record<Tool, string[]> = { wrk: ['-v'], nginx: ['-v'], haproxy: ['-v'], caddy: ['version'], valgrind: ['--version'] };
