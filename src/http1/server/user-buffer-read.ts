/**
 * Reads of an accepted socket into one buffer per worker thread, the way Node's `onread`
 * option reads a socket it connects itself (`net.connect({ onread })`), instead of a Buffer per
 * read pushed through a Readable stream and a 'data' event. Measured on a bare relay on this
 * machine (no parsing), that is ~5 µs of CPU per request less over two sockets.
 *
 * Node offers `onread` only to sockets it creates; an accepted socket reads through the same two
 * fields (`kBuffer`, `kBufferCb`, read by onStreamRead in lib/internal/stream_base_commons.js),
 * found here by their symbols' descriptions, and the handle's `useUserBuffer`. When this Node has
 * neither (another version, a socket already reading into a buffer), `attachUserBufferRead` says
 * so and the caller keeps 'data' events: the fast path is an optimisation, never a requirement.
 * test/unit/user-buffer-read.test.ts fails when Node stops offering it.
 *
 * TLS sockets too: their handle (TLSWrap) is a stream of the decrypted bytes with the same
 * `useUserBuffer`, and hands each decrypted piece over the same way (bench:ab, HTTPS listener,
 * both builds in the same windows: -2.4 µs a request [-3.7 to -1.8], every window lower). One
 * difference: a TLS socket may still hand over what it had decrypted from one network read after
 * it was paused (bounded by that read), where a plain socket stops at once; the connection keeps
 * such bytes as it keeps any early input.
 *
 * A socket whose stream already holds bytes (decrypted before the connection was made) keeps
 * 'data' events: those bytes would otherwise never reach the reader.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { registerNativeBuffer } from '../../shared/native-buffers.js';

/** What the callback receives is valid only during the call: the next read overwrites it. */
export type UserBufferReader = (nread: number, buf: Buffer) => boolean;

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
// Request heads that arrive in one read are found and scanned in place by the addon (head-end.ts, head-fields.ts).
registerNativeBuffer(READ_BUFFER);

interface Hooks { kBuffer: symbol; kBufferCb: symbol }
let hooks: Hooks | null | undefined;

function findHooks(socket: Socket): Hooks | null {
  const own = Object.getOwnPropertySymbols(socket);
  const kBuffer = own.find((s) => s.description === 'kBuffer');
  const kBufferCb = own.find((s) => s.description === 'kBufferCb');
  return kBuffer !== undefined && kBufferCb !== undefined ? { kBuffer, kBufferCb } : null;
}

/** True when `socket` now reads into the shared buffer through `reader`; false: use 'data' events. */
export function attachUserBufferRead(socket: Socket, reader: UserBufferReader): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buf: Uint8Array) => void } })._handle;
  if (typeof handle?.useUserBuffer !== 'function' || socket.readableLength > 0) return false;
  if (hooks === undefined) hooks = findHooks(socket);
  if (hooks === null) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  // A socket something already gave a buffer to is not ours to change.
  if (fields[hooks.kBuffer] !== null || fields[hooks.kBufferCb] !== null) return false;
  fields[hooks.kBuffer] = READ_BUFFER;
  fields[hooks.kBufferCb] = reader;
  handle.useUserBuffer(READ_BUFFER);
  return true;
}
