/**
 * The systemd install (config/systemd/install.sh + outpost-gateway.service) on this checkout:
 * installed into a scratch root (DESTDIR), the unit passes `systemd-analyze verify`, and the
 * unit's own ExecStart, pointed at that root, starts a gateway from the installed files alone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectJsonLines, type LogLine } from '../support/json-lines.js';
import { field, startNotifyReceiver } from '../support/notify-receiver.js';
import { testTempDir } from '../support/temp-dir.js';

const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
/** The addon as `npm ci` built it in this checkout (its install script never fails the install). */
const builtAddon = existsSync(resolve(root, 'native/build/Release/outpost_native.node'));

function install(dest: string): string {
  return execFileSync('sh', [join(root, 'config/systemd/install.sh')], { env: { ...process.env, DESTDIR: dest }, encoding: 'utf8' });
}

/** The unit's ExecStart as argv, with /opt/outpost and /etc/outpost moved under `dest`. */
function execStart(unit: string, dest: string): string[] {
  const line = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  assert.ok(line, 'the unit has an ExecStart');
  return line.split(/\s+/).map((a) => a.replace(/^\/(opt|etc)\/outpost/, `${dest}/$1/outpost`));
}

describe('systemd install', () => {
  const dest = testTempDir('outpost-install-');

  test('install.sh copies what the unit runs, readable by the unit\'s dynamic user, and keeps an edited config', () => {
    install(dest);
    for (const path of ['opt/outpost/dist/src/cli.js', 'opt/outpost/package.json', 'opt/outpost/README.md', 'opt/outpost/config/systemd/outpost-gateway.service', 'etc/outpost/gateway.yaml', 'etc/outpost/process.env', 'etc/systemd/system/outpost-gateway.service']) {
      const mode = statSync(join(dest, path)).mode;
      assert.ok(mode & 0o004, `${path} must be readable by others (DynamicUser)`);
    }
    const edited = readFileSync(join(dest, 'etc/outpost/gateway.yaml'), 'utf8') + '# edited by the operator\n';
    writeFileSync(join(dest, 'etc/outpost/gateway.yaml'), edited);
    install(dest);
    assert.equal(readFileSync(join(dest, 'etc/outpost/gateway.yaml'), 'utf8'), edited);
  });

  test('the unit is Type=notify with a watchdog, hardened, and holds no capabilities by default', () => {
    const unit = readFileSync(join(dest, 'etc/systemd/system/outpost-gateway.service'), 'utf8');
    const directives = new Map<string, string[]>();
    for (const m of unit.matchAll(/^([A-Za-z]+)=(.*)$/gm)) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]]);
    const one = (key: string) => directives.get(key)?.at(-1);
    assert.equal(one('Type'), 'notify');
    assert.equal(one('NotifyAccess'), 'main');
    assert.match(one('WatchdogSec') ?? '', /^\d+s$/);
    for (const [key, value] of [['DynamicUser', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ReadWritePaths', '/var/lib/outpost'], ['CapabilityBoundingSet', '']]) {
      assert.equal(one(key), value, key);
    }
    assert.ok(Number(one('LimitNOFILE')) >= 65_536);
    // Ports below 1024 only: the capability lines are there, commented out.
    assert.equal(directives.get('AmbientCapabilities'), undefined);
    assert.match(unit, /^#\s+AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    assert.match(one('RestrictAddressFamilies') ?? '', /\bAF_UNIX\b/, 'the notify socket is AF_UNIX');
  });

  test('the installed unit passes systemd-analyze verify', (t) => {
    const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
    if (which.status !== 0) {
      t.skip('systemd-analyze is not installed (apt-get install systemd)');
      return;
    }
    const unit = join(dest, 'etc/systemd/system/outpost-gateway.service');
    const run = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    // Unknown or misspelled directives are only warnings: any line about the unit is a failure here.
    assert.deepEqual(run.stderr.split('\n').filter((l) => l.includes('outpost-gateway.service')), []);
  });

  test('the unit\'s ExecStart runs the installed gateway on the installed config, and it notifies systemd', async () => {
    const argv = execStart(readFileSync(join(dest, 'etc/systemd/system/outpost-gateway.service'), 'utf8'), dest);
    assert.deepEqual(argv.slice(0, 2), ['/usr/bin/env', 'node']);
    // node, its flags and the script, then the CLI's own --version.
    const script = argv.findIndex((a) => a.endsWith('/dist/src/cli.js'));
    assert.ok(script > 1, argv.join(' '));
    const version = execFileSync(argv[0], [...argv.slice(1, script + 1), '--version'], { encoding: 'utf8' });
    assert.equal(version, `${pkg.version}\n`);
    // systemd's side of Type=notify: a notify socket, named in NOTIFY_SOCKET.
    const notifySocket = join(testTempDir('outpost-install-notify-'), 'notify.sock');
    const receiver = await startNotifyReceiver(notifySocket);
    // Ports and workers through the environment, as /etc/outpost/process.env would set them.
    const proc = spawn(argv[0], argv.slice(1), {
      cwd: join(dest, 'opt/outpost'),
      env: { ...process.env, OUTPOST_PORT: '0', OUTPOST_OPS_PORT: '0', OUTPOST_WORKERS: '1', NOTIFY_SOCKET: notifySocket },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: LogLine[] = [];
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const started = new Promise<LogLine | undefined>((r) => {
      collectJsonLines(proc.stdout, logs, [], (added) => { const s = added.find((l) => l.msg === 'gateway started'); if (s) r(s); });
      proc.once('exit', () => r(undefined));
    });
    const line = await started;
    if (builtAddon && line) await receiver.waitFor((m) => field(m, 'READY') === '1');
    proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.once('exit', r)));
    clearTimeout(killer);
    assert.ok(line, JSON.stringify(logs));
    assert.equal(line.file, join(dest, 'etc/outpost/gateway.yaml'));
    assert.equal(line.primaryMemoryReducer, 'off', 'ExecStart starts node with --no-memory-reducer');
    assert.equal(code, 0);
    if (!builtAddon) { receiver.close(); return; } // the install said so on stderr; nothing could be notified
    await receiver.waitFor((m) => field(m, 'STOPPING') === '1').finally(() => receiver.close());
    assert.ok(existsSync(join(dest, 'opt/outpost/native/build/Release/outpost_native.node')), 'install.sh installs the addon');
    assert.equal(logs.filter((l) => l.msg.startsWith('native addon not loaded')).length, 0);
    const events = receiver.messages.flatMap((m) => m.fields.filter(([k]) => k === 'READY' || k === 'STOPPING').map(([k, v]) => `${k}=${v}`));
    assert.deepEqual(events, ['READY=1', 'STOPPING=1']);
  });
});
