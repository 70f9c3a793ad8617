/** `outpost gateway` options: flag > environment (> config file, applied by runGateway), ranges, exit codes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveGatewayOptions } from '../../src/cli/gateway-options.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { OutpostError } from '../../src/shared/errors.js';

/** The error code and exit code a resolve throws. */
function failure(args: string[], env: NodeJS.ProcessEnv = {}): { code: string; exit: number; message: string } {
  try {
    resolveGatewayOptions(args, env);
  } catch (err) {
    assert.ok(err instanceof OutpostError, String(err));
    return { code: err.code, exit: exitCodeFor(err), message: err.message };
  }
  throw new Error('expected a usage error');
}

describe('gateway options', () => {
  test('flags are read', () => {
    assert.deepEqual(resolveGatewayOptions(['--config', 'a.yaml', '--port', '8081', '--ops-port', '0', '--workers', '3'], {}), {
      configFile: 'a.yaml', envFile: undefined, backupDir: undefined, port: 8081, opsPort: 0, httpsPort: undefined, workers: 3, warmupRequests: undefined, demoPort: undefined, redisUrl: undefined,
    });
  });

  test('--warmup-requests beats OUTPOST_WARMUP_REQUESTS; 0..100000; a bad value names its source', () => {
    assert.equal(resolveGatewayOptions(['--warmup-requests', '500'], { OUTPOST_WARMUP_REQUESTS: '0' }).warmupRequests, 500);
    assert.equal(resolveGatewayOptions([], { OUTPOST_WARMUP_REQUESTS: '0' }).warmupRequests, 0);
    assert.equal(resolveGatewayOptions([], { OUTPOST_WARMUP_REQUESTS: '' }).warmupRequests, undefined, 'empty is unset');
    assert.equal(resolveGatewayOptions(['--warmup-requests', '100000'], {}).warmupRequests, 100_000);
    for (const [args, env, names] of [
      [['--warmup-requests', '100001'], {}, '--warmup-requests'],
      [['--warmup-requests', '-1'], {}, '--warmup-requests'],
      [[], { OUTPOST_WARMUP_REQUESTS: 'lots' }, 'OUTPOST_WARMUP_REQUESTS'],
    ] as Array<[string[], NodeJS.ProcessEnv, string]>) {
      const f = failure(args, env);
      assert.deepEqual([f.code, f.exit], ['OUTPOST_ERR_USAGE', EXIT.usage]);
      assert.ok(f.message.includes(names), `${f.message} should name ${names}`);
    }
  });

  test('--https-port beats OUTPOST_HTTPS_PORT; a bad value names its source', () => {
    assert.equal(resolveGatewayOptions(['--https-port', '8443'], { OUTPOST_HTTPS_PORT: '9443' }).httpsPort, 8443);
    assert.equal(resolveGatewayOptions([], { OUTPOST_HTTPS_PORT: '9443' }).httpsPort, 9443);
    assert.throws(() => resolveGatewayOptions(['--https-port', '70000'], {}), /--https-port/);
  });

  test('environment variables fill in what flags leave out', () => {
    const env = { OUTPOST_CONFIG: '/etc/o.yaml', OUTPOST_PORT: '80', OUTPOST_OPS_PORT: '9191', OUTPOST_WORKERS: '0' };
    const o = resolveGatewayOptions([], env);
    assert.deepEqual([o.configFile, o.port, o.opsPort, o.workers], ['/etc/o.yaml', 80, 9191, 0]);
  });

  test('a flag beats its variable, and then the variable is not read at all', () => {
    const env = { OUTPOST_CONFIG: '/etc/o.yaml', OUTPOST_PORT: 'not-a-port', OUTPOST_WORKERS: '999' };
    const o = resolveGatewayOptions(['--config', 'mine.yaml', '--port', '1', '--workers', '2'], env);
    assert.deepEqual([o.configFile, o.port, o.workers], ['mine.yaml', 1, 2]);
  });

  test('nothing set leaves every value to the config file', () => {
    const o = resolveGatewayOptions([], { OUTPOST_PORT: '' });
    assert.deepEqual([o.configFile, o.port, o.opsPort, o.workers], [undefined, undefined, undefined, undefined]);
  });

  test('ports are 0..65535 and workers 0..256; a bad value names its flag or variable (exit 2)', () => {
    for (const [args, env, names] of [
      [['--port', '65536'], {}, '--port'],
      [['--port', '-1'], {}, '--port'],
      [['--ops-port', '80x'], {}, '--ops-port'],
      [['--workers', '257'], {}, '--workers'],
      [['--workers', '1.5'], {}, '--workers'],
      [[], { OUTPOST_PORT: '1e3' }, 'OUTPOST_PORT'],
      [[], { OUTPOST_OPS_PORT: '70000' }, 'OUTPOST_OPS_PORT'],
      [[], { OUTPOST_WORKERS: 'many' }, 'OUTPOST_WORKERS'],
      [['--demo-backend=http'], {}, '--demo-backend'],
    ] as Array<[string[], NodeJS.ProcessEnv, string]>) {
      const f = failure(args, env);
      assert.deepEqual([f.code, f.exit], ['OUTPOST_ERR_USAGE', EXIT.usage], `${args.join(' ')} ${JSON.stringify(env)}`);
      assert.ok(f.message.includes(names), `${f.message} should name ${names}`);
    }
    assert.equal(resolveGatewayOptions(['--port', '65535', '--workers', '256'], {}).port, 65535);
  });

  test('unknown flags, missing values and stray arguments are usage errors', () => {
    for (const args of [['--frob'], ['--port'], ['extra'], ['--demo-backend', '9000']]) {
      assert.deepEqual([failure(args).code, failure(args).exit], ['OUTPOST_ERR_USAGE', EXIT.usage], args.join(' '));
    }
  });

  test('--env-file with --config or OUTPOST_CONFIG is a usage error', () => {
    assert.equal(failure(['--config', 'a.yaml', '--env-file', 'e.conf']).code, 'OUTPOST_ERR_USAGE');
    assert.ok(failure(['--env-file', 'e.conf'], { OUTPOST_CONFIG: 'a.yaml' }).message.includes('OUTPOST_CONFIG'));
  });

  test('--demo-backend takes an optional port, and the last one wins (npm start -- --demo-backend=PORT)', () => {
    assert.equal(resolveGatewayOptions(['--demo-backend'], {}).demoPort, 8090);
    assert.equal(resolveGatewayOptions(['--demo-backend', '--demo-backend=9000'], {}).demoPort, 9000);
    assert.equal(resolveGatewayOptions(['--demo-backend=9000', '--demo-backend'], {}).demoPort, 8090);
    assert.equal(resolveGatewayOptions(['--config', 'c.yaml', '--demo-backend', '--demo-backend=0'], {}).configFile, 'c.yaml');
  });
});

describe('exit codes', () => {
  test('config problems exit 1, usage 2, anything else 3', () => {
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_CONFIG_INVALID')), EXIT.config);
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_CONFIG_UNREADABLE')), EXIT.config);
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_SETTINGS_INVALID')), EXIT.config);
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_USAGE')), EXIT.usage);
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_PORT_IN_USE')), EXIT.runtime);
    assert.equal(exitCodeFor(new OutpostError('OUTPOST_ERR_WORKER_CRASHED')), EXIT.runtime);
    assert.equal(exitCodeFor(new Error('boom')), EXIT.runtime);
    assert.deepEqual(Object.values(EXIT), [0, 1, 2, 3]);
  });
});
