/**
 * The analytics part of a gateway's page: the filter (all APIs or one, and the window), headline
 * numbers, chart placeholders and tables that analytics.js fills from the page's analytics JSON
 * (GET /dashboard/gateways/{id}/analytics.json, the same answer as the admin API's /analytics
 * narrowed to this gateway).
 */
import { html, raw, type Raw } from './html.js';

export const WINDOWS = [15, 60, 360, 1440] as const;
export const DEFAULT_WINDOW = 60;

export interface AnalyticsView { apiId?: string; minutes: number }

/** The page's filter from its query string; anything unknown falls back to the defaults. */
export function analyticsView(params: URLSearchParams): AnalyticsView {
  const minutes = Number(params.get('minutes'));
  const apiId = params.get('apiId');
  return {
    minutes: (WINDOWS as readonly number[]).includes(minutes) ? minutes : DEFAULT_WINDOW,
    ...(apiId !== null && apiId.length <= 256 ? { apiId } : {}),
  };
}

export function analyticsQueryString(view: AnalyticsView): string {
  const q = new URLSearchParams({ minutes: String(view.minutes) });
  if (view.apiId !== undefined) q.set('apiId', view.apiId);
  return q.toString();
}

export function analyticsSection(gatewayId: string, apiIds: string[], view: AnalyticsView): Raw {
  const base = `/dashboard/gateways/${encodeURIComponent(gatewayId)}`;
  const link = (v: AnalyticsView, label: string, current: boolean): Raw => current
    ? html`<strong>${label}</strong>`
    : html`<a href="${base}?${analyticsQueryString(v)}">${label}</a>`;
  const apiLinks = [link({ minutes: view.minutes }, 'All APIs', view.apiId === undefined),
    ...apiIds.map((id) => link({ minutes: view.minutes, apiId: id }, id, view.apiId === id))];
  const windowLinks = WINDOWS.map((m) => link({ ...view, minutes: m }, m < 60 ? `${m} min` : `${m / 60} h`, view.minutes === m));
  const sep = (items: Raw[]): Raw[] => items.flatMap((item, i) => (i === 0 ? [item] : [raw(' · '), item]));
  return html`<h2>Analytics${view.apiId !== undefined ? html` — API ${view.apiId}` : raw('')}</h2>
<section id="analytics" data-src="${base}/analytics.json?${analyticsQueryString(view)}" data-page="${base}" data-minutes="${view.minutes}">
<p class="filters">API: ${sep(apiLinks)}<br>Window: ${sep(windowLinks)}</p>
<p id="analytics-status" role="status"></p>
<table class="summary"><tbody>
<tr><th>Requests</th><td id="analytics-total-requests">…</td><th>Errors</th><td id="analytics-total-errors">…</td><th>Cache hit ratio</th><td id="analytics-cache">…</td></tr>
<tr><th>p50</th><td id="analytics-p50">…</td><th>p95</th><td id="analytics-p95">…</td><th>p99</th><td id="analytics-p99">…</td></tr>
<tr><th>Backend p99</th><td id="analytics-backend-p99">…</td><th>Gateway p99</th><td id="analytics-gateway-p99">…</td><th>Requests dropped by nodes</th><td id="analytics-dropped">…</td></tr>
</tbody></table>
<div class="charts"><div id="chart-requests"></div><div id="chart-latency"></div><div id="chart-split"></div><div id="chart-statuses"></div><div id="chart-cache"></div></div>
<h3>By API</h3><table id="analytics-apis"><thead><tr><th>API</th><th>Requests</th><th>Errors</th><th>p50</th><th>p99</th><th>Backend p99</th><th>Gateway p99</th></tr></thead><tbody></tbody></table>
<h3>By node</h3><table id="analytics-nodes"><thead><tr><th>Node</th><th>Requests</th><th>Errors</th><th>p99</th><th>Backend p99</th></tr></thead><tbody></tbody></table>
<h3>Errors by code and status</h3><table id="analytics-error-codes"><thead><tr><th>Code</th><th>Count</th></tr></thead><tbody></tbody></table>
</section>`;
}
