/**
 * The query string as a request log shows it: the subscription key parameter removed (the API's
 * own parameter name was already taken out by the subscription check; the default name is
 * removed here for requests that matched no API), and the value of any parameter whose name
 * looks like a credential replaced by `REDACTED`. Only runs for logged requests.
 */
const SECRET_NAME_PARTS = ['key', 'token', 'secret', 'password', 'passwd', 'pwd', 'signature', 'sig', 'auth', 'credential', 'session'];
const REMOVED = 'subscription-key';

function isSecretName(rawName: string): boolean {
  let name = rawName;
  try { name = decodeURIComponent(rawName); } catch { /* keep it raw */ }
  name = name.toLowerCase();
  if (name === 'code') return true; // OAuth authorization codes
  for (const part of SECRET_NAME_PARTS) if (name.includes(part)) return true;
  return false;
}

export function redactQuery(query: string): string {
  if (query === '') return '';
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name.toLowerCase() === REMOVED) continue;
    kept.push(eq >= 0 && isSecretName(name) ? `${name}=REDACTED` : pair);
  }
  return kept.join('&');
}
