/**
 * HTML for the dashboard: one escaping function that every interpolated value goes through, the
 * page frame, and the static assets. Styles and the copy-button script are served as files so the
 * Content-Security-Policy can forbid inline script entirely.
 */
import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import { ANALYTICS_SCRIPT } from './analytics-script.js';
import { chartAsset } from './chart-assets.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A tagged template that escapes every interpolation except values already wrapped by `raw`. */
export class Raw { constructor(readonly html: string) {} }
export const raw = (html: string): Raw => new Raw(html);
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0];
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.html : esc(x))).join('') : v instanceof Raw ? v.html : esc(v);
    out += part + strings[i + 1];
  });
  return new Raw(out);
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the
  // dashboard's own form posts, and the cross-site check (same-origin.ts) needs the real origin.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** `charts`: the page draws analytics charts (uPlot and analytics.js, deferred, in that order). */
export function page(title: string, body: Raw, opts: { loggedIn: boolean; charts?: boolean }): Raw {
  const logout = opts.loggedIn ? html`<form method="post" action="/dashboard/logout" class="logout"><button type="submit">Log out</button></form>` : raw('');
  const charts = opts.charts
    ? raw('<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css"><script src="/dashboard/assets/uPlot.iife.min.js" defer></script><script src="/dashboard/assets/analytics.js" defer></script>')
    : raw('');
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Outpost</title><link rel="stylesheet" href="/dashboard/assets/style.css"><script src="/dashboard/assets/app.js" defer></script>${charts}</head>
<body><header><a href="/dashboard" class="brand">Outpost control plane</a>${logout}</header><main>${body}</main></body></html>`;
}

export function sendHtml(res: ServerResponse, status: number, body: Raw, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body.html), ...SECURITY_HEADERS, ...headers });
  res.end(body.html);
}

/** 303 so a POST is followed by a GET. */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0, ...headers }).end();
}

export const ASSETS: Record<string, { type: string; body: string }> = {
  'style.css': {
    type: 'text/css; charset=utf-8',
    body: `body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{display:flex;justify-content:space-between;align-items:center;background:#24292f;padding:.6rem 1.2rem}
header a.brand{color:#fff;text-decoration:none;font-weight:600}main{padding:1.2rem;max-width:70rem}
table{border-collapse:collapse;background:#fff;margin-bottom:1rem}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left}
.ok{color:#1a7f37}.none{color:#6e7781}.warn{color:#9a6700;font-weight:600}.bad{color:#cf222e;font-weight:600}
pre{background:#fff;border:1px solid #d0d7de;padding:.6rem;overflow:auto}.copy{margin-bottom:1rem}
.button{display:inline-block;background:#1f883d;color:#fff;padding:.4rem .8rem;border-radius:6px;text-decoration:none}
.error{color:#cf222e}label{display:block;margin:.5rem 0}
.charts>div{background:#fff;border:1px solid #d0d7de;margin-bottom:.8rem;padding:.4rem}table.summary th{background:#f6f8fa}`,
  },
  'app.js': {
    type: 'text/javascript; charset=utf-8',
    // Copy buttons: each copies the text of the <pre> named by its data-copy attribute.
    body: `document.addEventListener('click', (e) => {
  const id = e.target instanceof Element ? e.target.getAttribute('data-copy') : null;
  const pre = id && document.getElementById(id);
  if (pre) navigator.clipboard.writeText(pre.textContent).then(() => { e.target.textContent = 'Copied'; });
});`,
  },
};

export function sendAsset(res: ServerResponse, name: string): boolean {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name]
    : name === 'analytics.js' ? { type: 'text/javascript; charset=utf-8', body: ANALYTICS_SCRIPT }
      : chartAsset(name);
  if (!asset) return false;
  res.writeHead(200, { 'content-type': asset.type, 'content-length': Buffer.byteLength(asset.body), 'x-content-type-options': 'nosniff', 'cache-control': 'max-age=300' });
  res.end(asset.body);
  return true;
}
