// Builds the native addon (binding.gyp) with the node-gyp npm ships with, and the bench's load
// generator (pacer/pacer.c) with cc. Run by the root `install` script on `npm ci`: it never fails
// the install. Without the addon the gateway still runs (Node >= 22.12 listens with reusePort
// itself; older Node: one worker accepts), and this script says so in one JSON log line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const log = (level, msg, extra = {}) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra }) + '\n');

function nodeGyp() {
  // npm exposes its bundled node-gyp to scripts; fall back to the copy beside npm itself.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const besideNpm = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(besideNpm)) return [process.execPath, besideNpm];
  return null;
}

/** Headers of the running Node: npm's nodedir setting, or the install prefix when it ships them (no download). */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

const gyp = nodeGyp();
const dir = nodeDir();
if (process.env.OUTPOST_SKIP_NATIVE === '1') {
  log('info', 'native addon build skipped (OUTPOST_SKIP_NATIVE=1)');
} else if (gyp === null) {
  log('warn', 'native addon not built: node-gyp not found; the gateway falls back to one accepting worker on Node < 22.12');
} else {
  const r = spawnSync(gyp[0], [gyp[1], 'rebuild', '--release', ...(dir ? [`--nodedir=${dir}`] : [])], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) log('info', 'native addon built', { path: 'native/build/Release/outpost_native.node' });
  else log('warn', 'native addon not built; the gateway falls back to one accepting worker on Node < 22.12', { exitCode: r.status, error: (r.stderr || r.error?.message || '').split('\n').filter(Boolean).slice(-5).join(' | ') });
}

// The Dockerfile copies this directory whatever happened above.
mkdirSync(join(here, 'build', 'Release'), { recursive: true });

// outpost-pacer, the bench's open-loop load generator (fixed-rate runs; not part of the gateway,
// and the Dockerfile and install.sh leave it out). Built on its own so that a compiler that
// cannot build it (it is Linux-only: epoll, timerfd) never costs the gateway its addon.
if (process.env.OUTPOST_SKIP_NATIVE !== '1') {
  const out = join(here, 'build', 'Release', 'outpost_pacer');
  const cc = spawnSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-o', out, join(here, 'pacer', 'pacer.c'), '-lm'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (cc.status === 0) log('info', 'bench load generator built', { path: 'native/build/Release/outpost_pacer' });
  else log('warn', 'bench load generator not built: npm run bench cannot run its fixed-rate part', { exitCode: cc.status, error: (cc.stderr || cc.error?.message || '').split('\n').filter(Boolean).slice(-5).join(' | ') });
}
