/**
 * The admin bearer token: read once at startup (env or file) and compared in constant time.
 * Both sides are hashed first, so timingSafeEqual always sees equal lengths and the comparison
 * says nothing about the token's length either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OutpostError } from '../shared/errors.js';

const MIN_LENGTH = 16;

/** OUTPOST_ADMIN_TOKEN, else the contents of OUTPOST_ADMIN_TOKEN_FILE (trimmed); refuses weak or missing ones. */
export function readAdminToken(env: NodeJS.ProcessEnv = process.env): string {
  let token = env.OUTPOST_ADMIN_TOKEN;
  if ((token === undefined || token === '') && env.OUTPOST_ADMIN_TOKEN_FILE) {
    try {
      token = readFileSync(env.OUTPOST_ADMIN_TOKEN_FILE, 'utf8').trim();
    } catch (err) {
      throw new OutpostError('OUTPOST_ERR_ADMIN_TOKEN_MISSING', `OUTPOST_ADMIN_TOKEN_FILE: cannot read ${env.OUTPOST_ADMIN_TOKEN_FILE}: ${(err as Error).message}`);
    }
  }
  if (token === undefined || token === '') throw new OutpostError('OUTPOST_ERR_ADMIN_TOKEN_MISSING');
  if (token.length < MIN_LENGTH) throw new OutpostError('OUTPOST_ERR_ADMIN_TOKEN_MISSING', `the admin token must have at least ${MIN_LENGTH} characters`);
  return token;
}

export function adminTokenChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    const given = createHash('sha256').update(m ? m[1] : '').digest();
    return timingSafeEqual(given, expected) && m !== null;
  };
}
