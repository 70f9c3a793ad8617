/**
 * The gateway page's analytics script (served as /dashboard/assets/analytics.js, like app.js, so
 * the CSP can forbid inline script). It fetches the page's analytics JSON (same origin, session
 * cookie) and draws uPlot charts: requests and errors per minute, p50/p95/p99 of total time, the
 * same split into backend and gateway time, responses by status, and the cache hit ratio; then
 * fills the tables (per API, per node, errors by code). Every value is written with textContent,
 * never as HTML. Plain ES2017 without template literals, since it lives in a TypeScript string.
 */
export const ANALYTICS_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('analytics');
  if (!root || typeof uPlot === 'undefined') return;
  var COLORS = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#57606a', '#0550ae'];

  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = String(value); }
  function ms(v) { return v === null || v === undefined ? '' : v.toFixed(1) + ' ms'; }

  function chart(id, title, xs, lines, yLabel) {
    var el = document.getElementById(id);
    if (!el) return;
    var width = Math.max(320, Math.min(1100, root.clientWidth - 20));
    var opts = {
      title: title, width: width, height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: yLabel || '' }],
      series: [{}].concat(lines.map(function (l, i) {
        return { label: l.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false };
      })),
    };
    new uPlot(opts, [xs].concat(lines.map(function (l) { return l.values; })), el);
  }

  function row(table, cells) {
    var tr = document.createElement('tr');
    cells.forEach(function (c) {
      var td = document.createElement('td');
      if (c && c.href) { var a = document.createElement('a'); a.href = c.href; a.textContent = c.text; td.appendChild(a); }
      else td.textContent = c === null || c === undefined ? '' : String(c);
      tr.appendChild(td);
    });
    table.querySelector('tbody').appendChild(tr);
  }

  function draw(a) {
    var t = a.totals;
    text('analytics-total-requests', t.requests);
    text('analytics-total-errors', t.errors);
    text('analytics-p50', ms(t.p50Ms));
    text('analytics-p95', ms(t.p95Ms));
    text('analytics-p99', ms(t.p99Ms));
    text('analytics-backend-p99', ms(t.backendP99Ms));
    text('analytics-gateway-p99', ms(t.gatewayP99Ms));
    text('analytics-cache', t.cacheHitRatio === null ? 'no cache lookups' : (t.cacheHitRatio * 100).toFixed(1) + ' %');
    text('analytics-dropped', a.dropped.requests);

    var s = a.series;
    var xs = s.map(function (m) { return m.minute / 1000; });
    function col(f) { return s.map(function (m) { return m.requests > 0 ? m[f] : null; }); }
    chart('chart-requests', 'Requests per minute', xs, [
      { label: 'requests', values: s.map(function (m) { return m.requests; }) },
      { label: 'errors', values: s.map(function (m) { return m.errors; }) },
    ]);
    chart('chart-latency', 'Total time (ms)', xs, [
      { label: 'p50', values: col('p50Ms') }, { label: 'p95', values: col('p95Ms') }, { label: 'p99', values: col('p99Ms') },
    ], 'ms');
    chart('chart-split', 'Backend and gateway time (ms)', xs, [
      { label: 'backend p50', values: col('backendP50Ms') }, { label: 'backend p95', values: col('backendP95Ms') },
      { label: 'backend p99', values: col('backendP99Ms') }, { label: 'gateway p50', values: col('gatewayP50Ms') },
      { label: 'gateway p95', values: col('gatewayP95Ms') }, { label: 'gateway p99', values: col('gatewayP99Ms') },
    ], 'ms');
    var codes = Object.keys(t.statuses).sort();
    chart('chart-statuses', 'Responses by status', xs, codes.map(function (code) {
      return { label: code, values: s.map(function (m) { return m.statuses[code] || 0; }) };
    }));
    chart('chart-cache', 'Cache hit ratio', xs, [{ label: 'hit ratio', values: s.map(function (m) { return m.cacheHitRatio; }) }]);

    var base = root.getAttribute('data-page') || '';
    var minutes = root.getAttribute('data-minutes') || '60';
    var apis = document.getElementById('analytics-apis');
    a.apis.forEach(function (x) {
      row(apis, [{ href: base + '?apiId=' + encodeURIComponent(x.apiId) + '&minutes=' + minutes, text: x.apiId === '' ? '(no API matched)' : x.apiId },
        x.requests, x.errors, ms(x.p50Ms), ms(x.p99Ms), ms(x.backendP99Ms), ms(x.gatewayP99Ms)]);
    });
    var nodes = document.getElementById('analytics-nodes');
    a.nodes.forEach(function (x) { row(nodes, [x.nodeId, x.requests, x.errors, ms(x.p99Ms), ms(x.backendP99Ms)]); });
    var errs = document.getElementById('analytics-error-codes');
    Object.keys(t.errorCodes).sort().forEach(function (c) { row(errs, [c, t.errorCodes[c]]); });
    codes.forEach(function (c) { row(errs, ['HTTP ' + c, t.statuses[c]]); });
    root.setAttribute('data-loaded', 'true');
  }

  fetch(root.getAttribute('data-src'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(draw)
    .catch(function (e) { text('analytics-status', 'Analytics could not be loaded: ' + e.message); root.setAttribute('data-loaded', 'error'); });
})();
`;
