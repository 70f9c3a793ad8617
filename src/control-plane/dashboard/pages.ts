/**
 * The dashboard's pages. Only fields picked by name are rendered (never a stored document as a
 * whole), so a gateway's keys, secret named values and subscription keys cannot leak onto a page.
 */
import type { NodeRegistry, NodeView } from '../nodes.js';
import type { Store } from '../store.js';
import type { AnalyticsStore } from '../analytics-store.js';
import { dockerCommand, systemdSteps } from './deploy.js';
import { html, page, raw, type Raw } from './html.js';
import { analyticsSection, type AnalyticsView } from './analytics-section.js';

/** Heartbeats report their token's expiry; from this close to it the dashboard warns. */
const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

export function loginPage(error?: string): Raw {
  return page('Log in', html`<h1>Log in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : raw('')}
<form method="post" action="/dashboard/login">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button></form>`, { loggedIn: false });
}

/** Warnings for nodes whose token expires within 7 days (or has expired). */
function tokenWarnings(nodes: NodeView[], now: number): Raw[] {
  const out: Raw[] = [];
  for (const n of nodes) {
    if (!n.connected || !n.tokenExpiresAt) continue;
    const at = Date.parse(n.tokenExpiresAt);
    if (!Number.isFinite(at) || at - now > EXPIRY_WARNING_MS) continue;
    out.push(at <= now
      ? html`<div class="bad">Token of node ${n.hostname || n.nodeId} expired at ${n.tokenExpiresAt}</div>`
      : html`<div class="warn">Token of node ${n.hostname || n.nodeId} expires at ${n.tokenExpiresAt}</div>`);
  }
  return out;
}

function status(connected: number): Raw {
  return connected > 0 ? html`<span class="ok">connected</span>` : html`<span class="none">none</span>`;
}

export function overviewPage(store: Store, nodes: NodeRegistry, analytics: AnalyticsStore, now = Date.now()): Raw {
  const lastHour = Math.floor(now / 60_000) * 60_000 - 59 * 60_000;
  const rows = store.list('gateways').map((gw) => {
    const list = nodes.list(gw.id, now);
    const connected = list.filter((n) => n.connected).length;
    const traffic = analytics.totalsSince(gw.id, lastHour);
    return html`<tr data-gateway="${gw.id}"><td><a href="/dashboard/gateways/${encodeURIComponent(gw.id)}">${gw.id}</a></td>
<td>${gw.doc.name}</td><td class="nodes">${connected}</td><td>${status(connected)}</td>
<td>${store.assignedApis(gw.id).length}</td><td class="requests">${traffic.requests}</td><td class="${traffic.errors > 0 ? 'bad' : ''}">${traffic.errors}</td><td>${tokenWarnings(list, now)}</td></tr>`;
  });
  const table = rows.length === 0
    ? html`<p>No gateways yet: create one with <code>PUT /gateways/{id}</code>.</p>`
    : html`<table><thead><tr><th>Gateway</th><th>Name</th><th>Connected nodes</th><th>Status</th><th>APIs</th><th>Requests (1 h)</th><th>Errors (1 h)</th><th>Warnings</th></tr></thead><tbody>${rows}</tbody></table>`;
  return page('Gateways', html`<h1>Gateways</h1><p>Configuration revision ${store.revision()}</p>${table}`, { loggedIn: true });
}

function copyBlock(id: string, text: string): Raw {
  return html`<div class="copy"><pre id="${id}">${text}</pre><button type="button" data-copy="${id}">Copy</button></div>`;
}

export function gatewayPage(store: Store, nodes: NodeRegistry, gatewayId: string, image: string, view: AnalyticsView, now = Date.now()): Raw | undefined {
  const gw = store.get('gateways', gatewayId);
  if (!gw) return undefined;
  const list = nodes.list(gatewayId, now);
  const connected = list.filter((n) => n.connected).length;
  const apis = store.assignedApis(gatewayId).map((id) => {
    const api = store.get('apis', id)?.doc;
    return html`<tr><td>${id}</td><td>${api?.name}</td><td>/${api?.path}</td></tr>`;
  });
  const nodeRows = list.map((n) => html`<tr><td>${n.hostname}</td><td>${n.nodeId}</td><td>${n.version}</td><td>${n.configRevision}</td>
<td>${n.lastSeen}</td><td>${n.connected ? html`<span class="ok">connected</span>` : html`<span class="none">gone</span>`}</td><td>${n.tokenExpiresAt ?? ''}</td></tr>`);
  const reports = nodes.configStatus(gatewayId).map((r) => html`<tr><td>${r.nodeId}</td><td>${r.revision}</td>
<td>${r.ok ? html`<span class="ok">accepted</span>` : html`<span class="bad">rejected</span>`}${r.backup?.ok === false ? html` · <span class="bad">backup not written (${r.backup.cause ?? r.backup.error ?? ''})</span>` : raw('')}</td><td>${r.reportedAt}</td><td>${problemsText(r.problems)}</td></tr>`);
  const id = encodeURIComponent(gatewayId);
  return page(`Gateway ${gatewayId}`, html`<h1>Gateway ${gatewayId}</h1>
<p>${gw.doc.name}${gw.doc.description ? html` — ${gw.doc.description}` : raw('')}</p>
<p>Status: ${status(connected)} · <span class="nodes">${connected}</span> connected node(s)</p>${tokenWarnings(list, now)}
${analyticsSection(gatewayId, store.assignedApis(gatewayId), view)}
<h2>Assigned APIs</h2>${apis.length === 0 ? html`<p>None.</p>` : html`<table><thead><tr><th>API</th><th>Name</th><th>Path</th></tr></thead><tbody>${apis}</tbody></table>`}
<h2>Nodes</h2>${nodeRows.length === 0 ? html`<p>No node has reported yet.</p>` : html`<table><thead><tr><th>Hostname</th><th>Node</th><th>Version</th><th>Config revision</th><th>Last seen</th><th>Status</th><th>Token expires</th></tr></thead><tbody>${nodeRows}</tbody></table>`}
<h2>Config status</h2>${reports.length === 0 ? html`<p>No reports.</p>` : html`<table><thead><tr><th>Node</th><th>Revision</th><th>Result</th><th>Reported</th><th>Problems</th></tr></thead><tbody>${reports}</tbody></table>`}
<h2>Deployment</h2>
<p>1. Download the settings (a new token, signed with the primary key, valid for 30 days): <a class="button" id="download-env" href="/dashboard/gateways/${id}/env.conf" download>Download env.conf</a></p>
<p>2. Run the gateway in a container:</p>${copyBlock('docker-command', dockerCommand(image))}
<p>Or as a systemd service (the app installed in /opt/outpost):</p>${copyBlock('systemd-steps', systemdSteps())}`, { loggedIn: true, charts: true });
}

/** Paths and messages only, bounded: a problem list is for reading, not for dumping documents. */
function problemsText(problems: unknown[] | undefined): string {
  if (!problems || problems.length === 0) return '';
  return problems.slice(0, 10).map((p) => {
    const { path, message } = (p ?? {}) as { path?: unknown; message?: unknown };
    return `${typeof path === 'string' ? path : ''}: ${typeof message === 'string' ? message.slice(0, 300) : ''}`;
  }).join('; ') + (problems.length > 10 ? ` (+${problems.length - 10} more)` : '');
}
