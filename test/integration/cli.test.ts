/**
 * The `outpost` command as operators run it (`node dist/src/cli.js ...` as a child process):
 * version, usage errors (exit 2, one line and a hint on stderr), ports that cannot be bound
 * (exit 3, one coded JSON line), environment overrides, and `npm start -- --demo-backend=PORT`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { CLI, oneApiConfig } from '../support/gateway-process.js';
import { collectJsonLines, type LogLine } from '../support/json-lines.js';
import { testTempDir } from '../support/temp-dir.js';

const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

interface Run { code: number | null; stdout: string; stderr: string; logs: LogLine[]; badLines: string[] }

/**
 * Runs the CLI with `env` added to the environment (OUTPOST_* variables of the test runner are
 * removed first). With `until`, the process is stopped with SIGTERM once a log line matches.
 */
function runCli(args: string[], env: Record<string, string> = {}, until?: (l: LogLine) => boolean): Promise<Run & { matched?: LogLine }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OUTPOST_')));
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run & { matched?: LogLine } = { code: null, stdout: '', stderr: '', logs: [], badLines: [] };
  proc.stdout.on('data', (c: Buffer) => { run.stdout += c.toString(); });
  proc.stderr.on('data', (c: Buffer) => { run.stderr += c.toString(); });
  collectJsonLines(proc.stdout, run.logs, run.badLines, (added) => {
    const hit = until && added.find(until);
    if (hit && !run.matched) { run.matched = hit; proc.kill('SIGTERM'); }
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((r) => proc.once('close', (code) => { clearTimeout(killer); run.code = code; r(run); }));
}

function tempConfig(config: object | string): string {
  const file = join(testTempDir('outpost-cli-'), 'gateway.yaml');
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, r));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('outpost CLI', () => {
  test('--version and version print the package version', async () => {
    for (const args of [['--version'], ['version']]) {
      const run = await runCli(args);
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, `${pkg.version}\n`, ''], args[0]);
    }
  });

  test('help lists the exit codes', async () => {
    const run = await runCli(['help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Exit codes: 0 ok; 1 config invalid or unreadable; 2 usage .*; 3 runtime failure/s);
  });

  test('usage errors: exit 2, one line naming the flag or variable and a hint on stderr, no stack', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['frob'], {}, 'frob'],
      [['--frob'], {}, '--frob'],
      [['gateway', '--frob'], {}, '--frob'],
      [['gateway', '--workers', '300'], {}, '--workers'],
      [['gateway', '--port', '65536'], {}, '--port'],
      [['gateway', '--ops-port', 'x'], {}, '--ops-port'],
      [['gateway'], { OUTPOST_PORT: '8080x' }, 'OUTPOST_PORT'],
      [['gateway'], { OUTPOST_WORKERS: '-1' }, 'OUTPOST_WORKERS'],
      [['gateway'], { OUTPOST_OPS_PORT: '99999' }, 'OUTPOST_OPS_PORT'],
      [['gateway', '--port'], {}, '--port'],
      [['validate'], {}, 'validate'],
      [['control-plane', '--port', 'x'], { OUTPOST_ADMIN_TOKEN: 'a-long-enough-admin-token' }, '--port'],
    ];
    for (const [args, env, names] of cases) {
      const run = await runCli(args, env);
      const what = `${args.join(' ')} ${JSON.stringify(env)}: ${run.stderr}`;
      assert.equal(run.code, 2, what);
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, what);
      assert.ok(lines[0].includes(names), what);
      assert.match(lines[1], /outpost help/, what);
      assert.equal(run.stdout, '', what);
    }
  });

  test('an ops port or API port already in use: one coded JSON line, exit 3', async () => {
    const held = await holdPort();
    try {
      const config = tempConfig(oneApiConfig('http://127.0.0.1:9'));
      for (const [flag, other] of [['--ops-port', '--port'], ['--port', '--ops-port']]) {
        const run = await runCli(['gateway', '--config', config, flag, String(held.port), other, '0', '--workers', '1']);
        assert.equal(run.code, 3, run.stdout + run.stderr);
        const errors = run.logs.filter((l) => l.level === 'error');
        assert.equal(errors.length, 1, run.stdout);
        assert.equal(errors[0].errorCode, 'OUTPOST_ERR_PORT_IN_USE');
        assert.equal(errors[0].stack, undefined);
        assert.deepEqual([run.badLines, run.stderr], [[], '']);
      }
    } finally {
      held.server.close();
    }
  });

  test('a YAML syntax error: OUTPOST_ERR_CONFIG_UNREADABLE with file, line and column from validate and at startup (exit 1)', async () => {
    const file = tempConfig('gateway:\n  port: 8080\napis:\n  - id: a\n    name: x: y\n');
    const validate = await runCli(['validate', file]);
    assert.equal(validate.code, 1);
    assert.match(validate.stdout, new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}: line 5, column 11: .*\\[OUTPOST_ERR_CONFIG_UNREADABLE\\]$`, 'm'));
    const start = await runCli(['gateway', '--config', file, '--port', '0', '--ops-port', '0', '--workers', '1']);
    assert.equal(start.code, 1, start.stdout + start.stderr);
    const problem = start.logs.find((l) => l.msg === 'config problem');
    assert.deepEqual([problem?.errorCode, problem?.file, problem?.line, problem?.column], ['OUTPOST_ERR_CONFIG_UNREADABLE', file, 5, 11]);
    assert.equal(start.logs.at(-1)?.errorCode, 'OUTPOST_ERR_CONFIG_UNREADABLE');
  });

  test('every policy problem of every scope is reported by validate and at startup, not only the first', async () => {
    const file = tempConfig(oneApiConfig('http://127.0.0.1:9', {}, {
      policies: { inbound: [{ 'rate-limit': { calls: 'x', 'renewal-period': 1 } }, { 'no-such-policy': {} }] },
      operations: [{ id: 'any', method: '*', urlTemplate: '/*', policies: { outbound: [{ 'set-header': { name: 'a b', 'exists-action': 'delete' } }] } }],
    }));
    const validate = await runCli(['validate', file]);
    assert.equal(validate.code, 1);
    const lines = validate.stdout.trim().split('\n');
    assert.equal(lines.length, 3, validate.stdout);
    for (const line of lines) assert.match(line, /\[OUTPOST_ERR_POLICY_INVALID\]$/);
    assert.deepEqual(lines.map((l) => l.slice(file.length + 2).split(':')[0]).sort(),
      ['apis[0].operations[0].policies', 'apis[0].policies', 'apis[0].policies']);
    const start = await runCli(['gateway', '--config', file, '--port', '0', '--ops-port', '0', '--workers', '1']);
    assert.equal(start.code, 1, start.stdout + start.stderr);
    const problems = start.logs.filter((l) => l.msg === 'config problem');
    assert.equal(problems.length, 3, start.stdout);
    assert.ok(problems.every((p) => p.errorCode === 'OUTPOST_ERR_POLICY_INVALID'));
  });

  test('OUTPOST_CONFIG, OUTPOST_PORT, OUTPOST_OPS_PORT and OUTPOST_WORKERS override the file; flags override them', async () => {
    const config = tempConfig(oneApiConfig('http://127.0.0.1:9', { port: 1, opsPort: 2, workers: 2 }));
    const env = { OUTPOST_CONFIG: config, OUTPOST_PORT: '0', OUTPOST_OPS_PORT: '0', OUTPOST_WORKERS: '1' };
    const fromEnv = await runCli(['gateway'], env, (l) => l.msg === 'gateway started');
    assert.equal(fromEnv.code, 0, fromEnv.stdout + fromEnv.stderr);
    assert.equal(fromEnv.matched?.workers, 1);
    assert.notEqual(fromEnv.matched?.port, 1);
    assert.ok(String(fromEnv.matched?.configFile ?? config).endsWith('gateway.yaml'));
    // The flag wins, so the variable's bad value is never read.
    const fromFlags = await runCli(['gateway', '--workers', '2'], { ...env, OUTPOST_WORKERS: 'bad' }, (l) => l.msg === 'gateway started');
    assert.equal(fromFlags.code, 0, fromFlags.stdout + fromFlags.stderr);
    assert.equal(fromFlags.matched?.workers, 2);
  });

  test('SIGTERM during startup waits for startup, then drains and exits 0', async () => {
    const config = tempConfig(oneApiConfig('http://127.0.0.1:9'));
    // The demo backend's line comes before the gateway starts: the signal lands mid-startup.
    const run = await runCli(['gateway', '--config', config, '--demo-backend=0', '--port', '0', '--ops-port', '0', '--workers', '2'], {},
      (l) => l.msg === 'demo echo backend started');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(run.logs.map((l) => l.msg).filter((m) => ['gateway started', 'draining', 'stopped'].includes(m)), ['gateway started', 'draining', 'stopped']);
  });

  test('npm start -- --demo-backend=PORT: the start script\'s own --demo-backend and the added one do not collide', async () => {
    // The arguments the start script gives the CLI, as npm appends the user's after them.
    const startArgs = pkg.scripts.start.split(/ dist\/src\/cli\.js /)[1].split(' ');
    assert.ok(startArgs.includes('--demo-backend'), pkg.scripts.start);
    const run = await runCli([...startArgs, '--demo-backend=0', '--port', '0', '--ops-port', '0', '--workers', '1'], {}, (l) => l.msg === 'gateway started');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const demo = run.logs.find((l) => l.msg === 'demo echo backend started');
    assert.ok(demo, run.stdout);
    assert.notEqual(demo.port, 8090, 'the last --demo-backend wins');
  });
});
