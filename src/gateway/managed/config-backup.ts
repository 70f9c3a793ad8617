/**
 * The config backup: the last good config from the control plane, so a gateway that restarts
 * while the control plane is down (or its name does not resolve) can still serve.
 *
 * File layout (one file, `outpost-config.backup`, in the backup directory):
 *   bytes 0..7    magic "OUTPOSTB"
 *   bytes 8..11   format version (u32 BE) = 1
 *   bytes 12..15  payload length (u32 BE)
 *   bytes 16..47  SHA-256 of the payload
 *   bytes 48..    payload: msgpackr of BackupPayload
 * The length catches truncation, the checksum catches any other damage: a bad backup is
 * reported and never served. Writes go to a temporary file in the same directory, are fsynced,
 * then renamed over the old one (and the directory fsynced), so a crash mid-write leaves the old
 * backup intact. Nothing is written outside the backup directory.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';

export const BACKUP_FILE = 'outpost-config.backup';
const MAGIC = Buffer.from('OUTPOSTB', 'latin1');
const FORMAT = 1;
const HEADER_BYTES = 48;

export interface BackupPayload {
  gatewayId: string;
  revision: number;
  etag: string | null;
  savedAt: string;
  /** The config as the control plane sent it; it is validated again when restored. */
  config: unknown;
}

export type BackupRead =
  | { ok: true; payload: BackupPayload }
  | { ok: false; missing: true; reason: string }
  | { ok: false; missing: false; reason: string };

export function encodeBackup(payload: BackupPayload): Buffer {
  const body = pack(payload);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(FORMAT, 8);
  header.writeUInt32BE(body.length, 12);
  createHash('sha256').update(body).digest().copy(header, 16);
  return Buffer.concat([header, body]);
}

/** Checks magic, version, length and checksum before decoding a single byte of the payload. */
export function decodeBackup(bytes: Buffer): BackupRead {
  const bad = (reason: string): BackupRead => ({ ok: false, missing: false, reason });
  if (bytes.length < HEADER_BYTES) return bad(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (!bytes.subarray(0, 8).equals(MAGIC)) return bad('not an Outpost config backup (bad magic bytes)');
  const format = bytes.readUInt32BE(8);
  if (format !== FORMAT) return bad(`unknown backup format version ${format}`);
  const length = bytes.readUInt32BE(12);
  const body = bytes.subarray(HEADER_BYTES);
  if (body.length !== length) return bad(`truncated or padded: header says ${length} payload bytes, file has ${body.length}`);
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(bytes.subarray(16, 48))) return bad('checksum mismatch: the payload is not what was written');
  let payload: unknown;
  try {
    payload = unpack(body);
  } catch (err) {
    return bad(`payload does not decode: ${(err as Error).message}`);
  }
  const p = payload as Partial<BackupPayload> | null;
  if (!p || typeof p !== 'object' || typeof p.revision !== 'number' || typeof p.gatewayId !== 'string' || typeof p.config !== 'object') {
    return bad('payload is not a config backup');
  }
  return { ok: true, payload: p as BackupPayload };
}

export async function readBackup(dir: string): Promise<BackupRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, BACKUP_FILE));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, reason: `no backup at ${join(dir, BACKUP_FILE)}` };
    return { ok: false, missing: false, reason: `cannot read ${join(dir, BACKUP_FILE)}: ${(err as Error).message}` };
  }
  return decodeBackup(bytes);
}

/** Temp file, fsync, rename, fsync the directory: the backup is either the old one or the new one. */
export async function writeBackup(dir: string, payload: BackupPayload): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, BACKUP_FILE);
  // Unique per host and process: Pods sharing one backup volume all run as pid 1 (or the same pid).
  const temp = join(dir, `.${BACKUP_FILE}.${hostname()}.${process.pid}.tmp`);
  const bytes = encodeBackup(payload);
  try {
    const fh = await open(temp, 'w', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
  return target;
}

/** Makes the rename durable. Some filesystems refuse fsync on a directory; the rename still happened. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch {
    // best effort
  }
}
