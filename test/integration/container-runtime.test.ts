/**
 * What the container image runs, without a Docker engine: the Dockerfile's runtime stage is
 * replayed on a clean copy (its COPY lines into a scratch root, with production node_modules from
 * `npm ci --omit=dev` of package-lock.json instead of the build stage's pruned copy), then its
 * ENTRYPOINT + CMD start the gateway as the image's USER on files that user cannot write (as with
 * a read-only root filesystem), and it serves; the HEALTHCHECK command passes against it. The
 * Dockerfile also passes a real linter (dockerfile-utils).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { collectJsonLines, type LogLine } from '../support/json-lines.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { parseDockerfile, type Instruction } from '../support/dockerfile.js';
import { testTempDir } from '../support/temp-dir.js';

const root = resolve(import.meta.dirname, '../../..');
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const all = (name: string): Instruction[] => runtime.filter((i) => i.name === name);
const last = (name: string): Instruction | undefined => all(name).at(-1);

describe('container image runtime stage', () => {
  const scratch = testTempDir('outpost-image-');
  const workdir = last('WORKDIR')!.args;
  /** An absolute path inside the image, under the scratch root. */
  const inImage = (p: string) => join(scratch, posix.isAbsolute(p) ? p : posix.join(workdir, p));
  let backend: TestBackend;

  before(async () => {
    backend = await startBackend(echoHandler);
    // Production dependencies exactly as the lock file gives them (no install scripts: the
    // gateway needs no compiled dependency; better-sqlite3 is the control plane's).
    const deps = join(scratch, '.deps');
    mkdirSync(deps);
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(deps, f));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: deps, stdio: 'ignore', timeout: 180_000 });
    for (const copy of all('COPY')) {
      const words = copy.args.split(/\s+/);
      const fromBuild = words[0] === '--from=build';
      const [src, dest] = words.filter((w) => !w.startsWith('--'));
      // The build stage's /app is this checkout after `npm ci && tsc && npm prune --omit=dev`.
      const source = !fromBuild ? join(root, src)
        : src === '/app/node_modules' ? join(deps, 'node_modules')
          : join(root, posix.relative('/app', src));
      // Docker: a destination ending in '/' is a directory the source goes into.
      const target = dest.endsWith('/') ? posix.join(dest, posix.basename(src)) : dest;
      mkdirSync(dirname(inImage(target)), { recursive: true });
      // Of native/build/Release the build stage keeps only the addon (see the Dockerfile).
      const onlyAddon = src === '/app/native/build/Release';
      cpSync(source, inImage(target), { recursive: true, filter: (s) => !onlyAddon || s === source || s.endsWith('.node') });
    }
    // The sample config's Echo API, pointed at this test's backend instead of the demo one.
    const config = inImage('/etc/outpost/gateway.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replaceAll('127.0.0.1:8090', `127.0.0.1:${backend.port}`));
    // Readable by all, writable by root only: the image's user can write nothing here.
    chmodSync(scratch, 0o755);
    spawnSync('chmod', ['-R', 'a+rX,go-w', scratch]);
  });

  after(async () => {
    await backend?.close();
  });

  test('the runtime stage holds only dist/src, production node_modules, the addon and package.json (+ the sample config)', () => {
    assert.deepEqual(all('COPY').map((c) => c.args.split(/\s+/).filter((w) => !w.startsWith('--'))[0]).sort(),
      ['/app/dist/src', '/app/native/build/Release', '/app/node_modules', 'config/gateway.yaml', 'package.json']);
    assert.deepEqual(readdirSync(inImage('node_modules')).filter((n) => ['typescript', 'autocannon', 'kubernetes-models', 'dockerfile-utils', '@types'].includes(n)), []);
    assert.deepEqual(readdirSync(inImage('native/build/Release')), ['outpost_native.node']);
  });

  test('non-root user, the ports, a readiness health check', () => {
    assert.match(last('USER')!.args, /^[1-9]\d*:[1-9]\d*$/);
    assert.deepEqual(all('EXPOSE').flatMap((e) => e.args.split(/\s+/)).sort(), ['8080', '8081', '9090']);
    assert.match(last('HEALTHCHECK')!.args, /\/health\/ready/);
  });

  test('the image\'s start command serves from these files alone, as its user; the HEALTHCHECK passes', async () => {
    const entry = JSON.parse(last('ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(last('CMD')!.args) as string[];
    assert.equal(entry[0], 'node');
    const argv = [...entry.slice(1), ...cmd].map((a) => (a.startsWith('/') ? join(scratch, a) : a));
    const [uid, gid] = last('USER')!.args.split(':').map(Number);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', OUTPOST_PORT: '0', OUTPOST_OPS_PORT: '0', OUTPOST_WORKERS: '1' };
    for (const e of all('ENV')) { const [k, v] = e.args.split('='); env[k] = v; }
    const asUser = process.getuid?.() === 0 ? { uid, gid } : {};
    const proc = spawn(process.execPath, argv, { cwd: inImage('.'), env, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
    const logs: LogLine[] = [];
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    try {
      const started = await new Promise<LogLine | undefined>((r) => {
        collectJsonLines(proc.stdout, logs, [], (added) => { const s = added.find((l) => l.msg === 'gateway started'); if (s) r(s); });
        void exited.then(() => r(undefined));
      });
      assert.ok(started, `${JSON.stringify(logs)} ${stderr}`);
      assert.equal(started.primaryMemoryReducer, 'off', 'the ENTRYPOINT starts node with --no-memory-reducer');
      const res = await fetch(`http://127.0.0.1:${started.port as number}/echo/resource?x=1`);
      assert.equal(res.status, 200);
      assert.equal(logs.filter((l) => l.msg.startsWith('native addon not loaded')).length, 0, 'the copied addon loads');
      // Docker runs a shell-form HEALTHCHECK with /bin/sh -c, in the container's environment.
      const health = last('HEALTHCHECK')!.args.replace(/^.*?\bCMD\s+/, '');
      const check = spawnSync('sh', ['-c', health], { env: { ...env, PATH: `${dirname(process.execPath)}:${env.PATH}`, OUTPOST_OPS_PORT: String(started.opsPort) }, timeout: 10_000 });
      assert.equal(check.status, 0, String(check.stderr));
    } finally {
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      clearTimeout(killer);
    }
  });
});

test('the Dockerfile passes dockerfile-utils lint', () => {
  const run = spawnSync(join(root, 'node_modules/.bin/dockerfile-utils'), ['lint', '--json', join(root, 'Dockerfile')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout || '[]'), []);
});
