/**
 * The config backup, on real files in a temp directory: a round trip, atomic replacement, and
 * every kind of damage (truncation, a flipped byte, a foreign file) detected before decoding.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKUP_FILE, readBackup, writeBackup, type BackupPayload } from '../../src/gateway/managed/config-backup.js';
import { backoffDelay } from '../../src/gateway/managed/sync-loop.js';
import { testTempDir } from '../support/temp-dir.js';

const payload = (revision: number): BackupPayload => ({
  gatewayId: 'gw-1', revision, etag: `"r${revision}"`, savedAt: '2027-01-01T00:00:00.000Z',
  config: { apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://10.0.0.1', operations: [{ id: 'x', method: 'GET', urlTemplate: '/' }] }], products: [], subscriptions: [], namedValues: [] },
});

async function written(revision = 1): Promise<{ dir: string; file: string }> {
  const dir = join(testTempDir('outpost-backup-'), 'nested', 'backup');
  const file = await writeBackup(dir, payload(revision));
  return { dir, file };
}

describe('config backup', () => {
  test('round trip; the directory is created; only the backup file is left in it', async () => {
    const { dir, file } = await written(3);
    assert.equal(file, join(dir, BACKUP_FILE));
    const read = await readBackup(dir);
    assert.ok(read.ok);
    assert.deepEqual(read.payload, payload(3));
    assert.deepEqual(readdirSync(dir), [BACKUP_FILE]);
  });

  test('a newer backup replaces the old one', async () => {
    const { dir } = await written(1);
    await writeBackup(dir, payload(2));
    const read = await readBackup(dir);
    assert.ok(read.ok && read.payload.revision === 2);
    assert.deepEqual(readdirSync(dir), [BACKUP_FILE]);
  });

  test('no file: missing, not corrupt', async () => {
    const read = await readBackup(testTempDir('outpost-backup-'));
    assert.ok(!read.ok && read.missing);
  });

  test('truncated anywhere (payload or header) is detected', async () => {
    for (const keep of [0, 10, 47, 48, 60]) {
      const { dir, file } = await written();
      const size = readFileSync(file).length;
      truncateSync(file, Math.min(keep, size - 1));
      const read = await readBackup(dir);
      assert.ok(!read.ok && !read.missing, `kept ${keep}`);
      assert.match(read.reason, /truncated/);
    }
    const { dir, file } = await written();
    truncateSync(file, readFileSync(file).length - 1);
    const read = await readBackup(dir);
    assert.ok(!read.ok && !read.missing && /truncated/.test(read.reason));
  });

  test('a flipped payload byte fails the checksum; a flipped header byte is caught too', async () => {
    const { dir, file } = await written();
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0x01;
    writeFileSync(file, bytes);
    const read = await readBackup(dir);
    assert.ok(!read.ok && !read.missing);
    assert.match(read.reason, /checksum/);
    bytes[bytes.length - 5] ^= 0x01;
    bytes[20] ^= 0x80; // inside the stored checksum
    writeFileSync(file, bytes);
    const again = await readBackup(dir);
    assert.ok(!again.ok && !again.missing && /checksum/.test(again.reason));
  });

  test('a file that is not an Outpost backup is refused', async () => {
    const { dir, file } = await written();
    writeFileSync(file, JSON.stringify(payload(1)).padEnd(200, ' '));
    const read = await readBackup(dir);
    assert.ok(!read.ok && !read.missing);
    assert.match(read.reason, /magic/);
  });
});

describe('retry backoff', () => {
  test('grows exponentially with jitter and stays under the cap', () => {
    assert.equal(backoffDelay(1, 30_000, () => 0), 500);
    assert.equal(backoffDelay(1, 30_000, () => 1), 1_000);
    assert.equal(backoffDelay(3, 30_000, () => 1), 4_000);
    assert.equal(backoffDelay(4, 5_000, () => 1), 5_000);
    for (let attempt = 1; attempt < 60; attempt++) {
      const d = backoffDelay(attempt, 30_000);
      assert.ok(d > 0 && d <= 30_000, `attempt ${attempt}: ${d}`);
    }
    assert.ok(backoffDelay(50, 30_000, () => 0) === 15_000);
  });
});
