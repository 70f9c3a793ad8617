/**
 * A short, stable id for where and how a counting policy is declared (quota, limit-concurrency):
 * its counter keys are hashed on every request, so the prefix is kept short, and it stays the
 * same across reloads while the declaration does (counts survive a reload).
 */
import { createHash } from 'node:crypto';

export function declarationId(declaration: string): string {
  return createHash('sha256').update(declaration).digest('base64url').slice(0, 12);
}
