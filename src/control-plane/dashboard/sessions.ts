/**
 * Dashboard sessions: the cookie holds a random id; the server keeps only its SHA-256 and expiry,
 * so neither the admin token nor a usable session id is ever stored. The map is bounded: when
 * full, expired entries go first, then the oldest (Map keeps insertion order).
 */
import { createHash, randomBytes } from 'node:crypto';

export const COOKIE_NAME = 'outpost_session';
const SESSION_TTL_MS = 8 * 3600 * 1000;
const MAX_SESSIONS = 1000;

const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

export class Sessions {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly ttlMs = SESSION_TTL_MS, private readonly max = MAX_SESSIONS) {}

  /** A new session id (for the cookie) and its lifetime in seconds. */
  create(now = Date.now()): { id: string; maxAgeSeconds: number } {
    if (this.expiries.size >= this.max) this.prune(now);
    const id = randomBytes(32).toString('base64url');
    this.expiries.set(digest(id), now + this.ttlMs);
    return { id, maxAgeSeconds: Math.floor(this.ttlMs / 1000) };
  }

  valid(id: string | undefined, now = Date.now()): boolean {
    if (!id) return false;
    const key = digest(id);
    const expiry = this.expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry <= now) { this.expiries.delete(key); return false; }
    return true;
  }

  destroy(id: string | undefined): void {
    if (id) this.expiries.delete(digest(id));
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
    for (const key of this.expiries.keys()) {
      if (this.expiries.size < this.max) break;
      this.expiries.delete(key);
    }
  }
}

/** The value of one cookie from a Cookie header (first occurrence). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Secure only when the dashboard is published over https: over plain http the browser would drop it. */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${COOKIE_NAME}=${id}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
