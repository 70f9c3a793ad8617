/**
 * Both routers behind one signature, so the conformance cases and the differential test can run
 * the same inputs through each. The shared-memory side goes the way a worker does: compile, copy
 * into a SharedArrayBuffer (as the primary publishes it), read in place with SharedRouteTable,
 * paths parsed by parseRequestPath, methods mapped through METHOD_CODES.
 */
import type { GatewayConfig } from '../../src/shared/config-schema.js';
import { compileTable } from '../../src/gateway/router/compile-table.js';
import { SharedRouteTable, newRouteMatch } from '../../src/gateway/router/shared-table.js';
import { newParsedPath, parseRequestPath, PATH_OK } from '../../src/gateway/router/request-path.js';
import { METHOD_CODES, METHOD_OTHER } from '../../src/shared/table-layout.js';
import { bindCaptures } from '../../src/shared/url-template.js';
import { referenceMatch, referencePathSegments, asciiLower, type ReferenceMatch } from '../support/reference-matcher.js';

/** A match, a 404 (null), or a path the gateway refuses before routing (bad encoding, too long). */
export type RouteOutcome = ReferenceMatch | null | 'bad-path';

export type Router = (host: string, method: string, path: string) => RouteOutcome;

export function publish(config: GatewayConfig): SharedRouteTable {
  const bytes = compileTable(config);
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);
  return new SharedRouteTable(shared);
}

export function sharedRouter(config: GatewayConfig): Router {
  const table = publish(config);
  const parsed = newParsedPath();
  const out = newRouteMatch();
  return (host, method, path) => {
    if (parseRequestPath(path, parsed) !== PATH_OK) return 'bad-path';
    // The worker lowercases the Host header before matching; do the same here.
    if (!table.match(asciiLower(host), METHOD_CODES[method] ?? METHOD_OTHER, parsed.segments, parsed.hashes, out)) return null;
    const op = table.operation(out.op);
    const params: Record<string, string> = {};
    // As the worker binds them (handle-request.ts): one capture per `{param}` or pattern segment.
    bindCaptures(op.captures, parsed.segments, out.captures, out.captureCount, params);
    if (out.captureCount !== op.captures.length || Object.keys(params).length !== op.paramNames.length) {
      throw new Error(`captured ${out.captureCount} of ${op.captures.length} segments, ${Object.keys(params).length} of ${op.paramNames.length} params`);
    }
    return { apiId: table.api(out.api).id, opId: op.id, params };
  };
}

export function referenceRouter(config: GatewayConfig): Router {
  return (host, method, path) => (referencePathSegments(path) === null ? 'bad-path' : referenceMatch(config, host, method, path));
}
