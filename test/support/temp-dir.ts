/**
 * Temporary folders for tests that are removed when the test process exits: each test file runs
 * in its own process, so what a file made is gone when it ends, pass or fail, and files written
 * there stay readable by the test (and by gateways it stopped) until then. Before, every suite run
 * left ~700 folders in /tmp (gateway configs, control-plane stores, backups, sockets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A new folder under the system's temporary folder, named `prefix` + six random characters. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
  }
  return dir;
}
