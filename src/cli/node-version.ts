/**
 * The Node.js versions Outpost runs on. Nothing native is required any more (the HTTP/1.1 server
 * and client are Outpost's own, on node:net; SO_REUSEPORT comes from Node >= 22.12 or the optional
 * addon in native/), so the floor is package.json's `engines`: Node 20. An older Node gets one
 * clear line and exit 3 instead of a stack trace from some missing API.
 */
import { OutpostError } from '../shared/errors.js';

export const MIN_NODE = { major: 20, minor: 0 } as const;

export function checkNodeVersion(version: string = process.versions.node): void {
  const [major, minor] = version.split('.').map(Number);
  if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) return;
  throw new OutpostError('OUTPOST_ERR_NODE_UNSUPPORTED',
    `Node.js ${version} is not supported: Outpost needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or newer (20, 22 and 24 are supported)`);
}
