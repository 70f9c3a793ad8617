/**
 * Cross-site request check for the dashboard's state-changing requests (login, logout). The
 * session cookie is SameSite=Strict, but logout needs no cookie to be forced and a login form can
 * be posted from anywhere (login CSRF), so each POST must come from the dashboard's own pages:
 *   - `Sec-Fetch-Site`, when the browser sends it, must be same-origin or none (typed in);
 *   - `Origin`, when present, must name this control plane: the host the request was sent to
 *     (its Host header), or the origin of OUTPOST_PUBLIC_URL; `Origin: null` is refused unless
 *     Sec-Fetch-Site says same-origin;
 *   - without Origin, a `Referer` must name it in the same way.
 * A request with none of these headers is not from a browser (curl, a script), which is not what
 * a cross-site attack can make, so it passes.
 */
import type { IncomingMessage } from 'node:http';

export function isSameOrigin(req: IncomingMessage, publicUrl: string | undefined): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  // A browser that says same-origin (a header no page can set) may still send `Origin: null`
  // under a strict referrer policy: its word is enough.
  if (origin === 'null' && site === 'same-origin') return true;
  if (origin !== undefined) return names(origin, req.headers.host, publicUrl);
  const referer = req.headers.referer;
  if (referer !== undefined) return names(referer, req.headers.host, publicUrl);
  return true;
}

/** `url` (an Origin or a Referer) names this control plane. */
function names(url: string, host: string | undefined, publicUrl: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false; // "null" and anything unparsable
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  if (publicUrl === undefined) return false;
  try {
    return parsed.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}
