/**
 * The query string as a request log shows it: the subscription key parameter removed (the API's
 * own parameter name was already taken out by the subscription check; the default name is
 * removed here for requests that matched no API), and the value of any parameter whose name
 * looks like a credential replaced by `REDACTED`. Only runs for logged requests.
 */
const SECRET_NAME_PARTS = ['key', 'token', 'secret', 'password', 'passwd', 'pwd', 'signature', 'sig', 'auth', 'credential', 'session'];
const REMOVED = 'subscription-key';

function isSecretName(rawName: string): boolean {
  let name = rawName.toLowerCase();
  if (name.includes('%')) {
    try { name = decodeURIComponent(name); } catch { /* keep it raw */ }
  }
  if (name === 'code') return true; // OAuth authorization codes
  for (const part of SECRET_NAME_PARTS) if (name.includes(part)) return true;
  return false;
}

/** What happens to one `name=value` pair: kept, removed, or its value redacted. */
function verdict(pair: string): 'keep' | 'remove' | 'redact' {
  const eq = pair.indexOf('=');
  const name = eq < 0 ? pair : pair.slice(0, eq);
  if (name.length === REMOVED.length && name.toLowerCase() === REMOVED) return 'remove';
  return eq >= 0 && isSecretName(name) ? 'redact' : 'keep';
}

/**
 * Every query redactQuery could change holds one of these (case-insensitive): a secret name part,
 * `code`, the subscription-key name (it holds `key`) or a `%` (an encoded name). One scan of the
 * whole string, names and values alike, lets the common query through untouched without splitting
 * it; a match only means the exact check below runs.
 */
const MAY_CHANGE = /key|token|secret|passw|pwd|sig|auth|credential|session|code|%/i;

export function redactQuery(query: string): string {
  if (query === '') return '';
  if (!MAY_CHANGE.test(query)) return query;
  const pairs = query.split('&');
  // Most queries hold nothing to hide: then the string is returned as it came.
  let changes = false;
  for (const pair of pairs) if (verdict(pair) !== 'keep') { changes = true; break; }
  if (!changes) return query;
  const kept: string[] = [];
  for (const pair of pairs) {
    const v = verdict(pair);
    if (v === 'keep') kept.push(pair);
    else if (v === 'redact') kept.push(`${pair.slice(0, pair.indexOf('='))}=REDACTED`);
  }
  return kept.join('&');
}
