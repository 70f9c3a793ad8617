/**
 * A listener takes every connection waiting in its accept queue when Node accepts one, not one per
 * event-loop iteration.
 *
 * libuv 1.45 and later (Node 20 ships 1.46) accepts one connection per iteration and relies on
 * level-triggered polling for the next (libuv PR 3696: most servers find nothing more to accept).
 * A proxy under load is not most servers: each iteration of a busy worker handles every ready
 * socket first, so a burst of new connections waits one iteration each. Measured on the Intel VM
 * (one worker just started, 47,789 requests/s open-loop from 192 new connections; strace showed
 * one accept4 per iteration): a first request waited up to 395-550 ms while those on connections
 * already accepted were answered in 1-3 ms; with the batch, 65 ms. Load balancers open their
 * pools in bursts, and clients all reconnect after a restart or a deploy.
 *
 * So on each accepted connection the addon's acceptPending takes the rest of the queue (up to
 * BATCH per event; more waiting keeps the listener readable for the next iteration), and each fd
 * becomes a net.Socket that enters through the server's own 'connection' event: a plain server's
 * handler, or a tls.Server's, which starts the handshake. Nothing changes without the addon
 * (OUTPOST_NATIVE=off, not built): libuv's one per iteration.
 */
import { closeSync } from 'node:fs';
import { Socket, type Server } from 'node:net';
import { nativeAddon } from '../../gateway/native.js';

const BATCH = 128;

type AcceptPending = (listenFd: number, fds: Int32Array) => number;

/**
 * Makes `server` take its whole accept queue whenever Node accepts a connection on it. False when
 * the addon is missing (the server keeps libuv's pace). Call once, after the server's own
 * 'connection' handler is in place.
 */
export function acceptPendingOn(server: Server): boolean {
  const acceptPending: AcceptPending | undefined = nativeAddon()?.acceptPending;
  if (acceptPending === undefined) return false;
  const fds = new Int32Array(BATCH);
  let inside = false;
  server.on('connection', () => {
    // The sockets made below enter through this same event: they must not start another batch.
    if (inside) return;
    const fd = (server as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return;
    inside = true;
    try {
      const count = acceptPending(fd, fds);
      for (let i = 0; i < count; i++) {
        const socket = adopt(fds[i], server as ServerOptions);
        if (socket !== null) server.emit('connection', socket);
      }
    } finally {
      inside = false;
    }
  });
  return true;
}

/** The options net.Server keeps for the sockets it accepts (its constructor's noDelay, allowHalfOpen, keepAlive). */
interface ServerOptions { noDelay?: boolean; allowHalfOpen?: boolean; keepAlive?: boolean; keepAliveInitialDelay?: number }

/**
 * What Node's own accept makes of a connection (net.Server's onconnection), from its fd, with the
 * server's own socket options; null (and the fd closed) when Node refuses it.
 */
function adopt(fd: number, options: ServerOptions): Socket | null {
  try {
    const socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: options.allowHalfOpen === true });
    if (options.noDelay === true) socket.setNoDelay(true);
    if (options.keepAlive === true) socket.setKeepAlive(true, options.keepAliveInitialDelay);
    return socket;
  } catch {
    // Not a TCP socket after all (it cannot be, from accept4): never leak the descriptor.
    try { closeSync(fd); } catch { /* already closed */ }
    return null;
  }
}
