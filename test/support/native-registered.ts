/**
 * For the differential tests of the addon's per-request functions (head_end.c, head_fields.c,
 * request_fields.c): why they skip without the addon, and a buffer registered with it as a
 * worker's read or staging buffer is, its unused bytes random so that no native function can
 * lean on what happens to be there.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { nativeAddon } from '../../src/gateway/native.js';
import { registerNativeBuffer } from '../../src/shared/native-buffers.js';

/** The `skip` option of those tests: the reason, or false when the addon is loaded. */
export const nativeSkip: string | false = nativeAddon() === null ? 'native addon not built' : false;

/** A buffer of `bytes` random bytes, registered with the addon when it is loaded. */
export function registeredBuffer(bytes: number): Buffer {
  const buf = randomBytes(bytes);
  if (nativeSkip === false && registerNativeBuffer(buf) < 0) throw new Error('no room left to register a test buffer');
  return buf;
}
