/**
 * The systemd notify transport: datagrams to $NOTIFY_SOCKET through the native addon (Node cannot
 * send unix datagrams), and the watchdog settings systemd passes ($WATCHDOG_USEC, $WATCHDOG_PID),
 * read as sd_notify(3) and sd_watchdog_enabled(3) read them. Only the primary sends.
 */
import { Buffer } from 'node:buffer';
import type { NativeAddon } from '../native.js';
import { log } from '../../shared/log.js';

/** systemd accepts a path or an abstract name ('@'); sun_path holds 107 bytes and a NUL. */
const MAX_SOCKET_NAME = 107;

export class SdNotify {
  private failed = false;

  private constructor(private readonly addon: NativeAddon, readonly socket: string, readonly watchdogIntervalMs: number | null) {}

  /** Null when $NOTIFY_SOCKET is unset (not under systemd Type=notify) or the addon is missing. */
  static fromEnv(env: NodeJS.ProcessEnv, addon: NativeAddon | null): SdNotify | null {
    const socket = env.NOTIFY_SOCKET;
    if (!socket || addon === null) return null;
    if (!(socket.startsWith('/') || socket.startsWith('@')) || Buffer.byteLength(socket) > MAX_SOCKET_NAME) {
      log('warn', 'NOTIFY_SOCKET is not a unix socket path or @abstract name: systemd notify is off', { notifySocket: socket.slice(0, 200) });
      return null;
    }
    return new SdNotify(addon, socket, watchdogInterval(env));
  }

  /** Sends `fields` (KEY=VALUE each) as one datagram. Best effort: a failure is logged once. */
  send(fields: string[]): boolean {
    const ok = this.addon.sdNotify(this.socket, fields.join('\n'));
    if (!ok && !this.failed) log('warn', 'systemd notify: sending to NOTIFY_SOCKET failed; will keep trying', { notifySocket: this.socket });
    this.failed = !ok;
    return ok;
  }
}

/**
 * Half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; null when the watchdog is off or
 * meant for another process ($WATCHDOG_PID names a different pid).
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || usecText === '') return null;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && env.WATCHDOG_PID !== String(pid)) return null;
  const usec = /^\d{1,15}$/.test(usecText) ? Number(usecText) : 0;
  if (usec <= 0) {
    log('warn', 'WATCHDOG_USEC is not a positive number of microseconds: the systemd watchdog is not fed', { watchdogUsec: usecText.slice(0, 40) });
    return null;
  }
  return Math.max(1, Math.floor(usec / 2_000));
}

/** CLOCK_MONOTONIC in microseconds (libuv's hrtime reads that clock on Linux), for MONOTONIC_USEC. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1_000n;
}
