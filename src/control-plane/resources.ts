/**
 * What a write to the management API must satisfy. Resources are checked the way the gateway
 * checks its config: the whole would-be state (every API, product, subscription, named value,
 * policy fragment and backend) goes through validateGatewayConfig and the policy compiler. So a
 * gateway's view, always a subset that keeps its references whole, is valid too; and
 * cross-resource rules (a product naming a missing API, two APIs on one path, a key used twice, a
 * pool or policy naming a missing backend) hold at the control plane instead of surfacing later
 * at a gateway.
 *
 * Problems on the written resource come back at its own field paths (`operations[0].urlTemplate`)
 * with 400; problems the change causes elsewhere (deleting an API a product still names) name
 * that resource (`resource: "/products/gold"`) and give 409.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { formatPath, validateGatewayConfig, type ConfigProblem, type GatewayConfig } from '../shared/config-schema.js';
import { compilePolicies } from '../gateway/pipeline/compile-policies.js';
import type { Doc, Kind, Store } from './store.js';
import { fragmentUses, type BackendUses } from './view-backends.js';
import { isObject, maskCredentials, restoreCredentials } from './backend-credentials.js';

/**
 * URL segment → kind. A Map, not an object literal: a plain object would answer `__proto__`,
 * `constructor` or `toString` with something inherited, and that reached SQLite as a table name.
 */
const URL_KINDS: ReadonlyMap<string, Kind> = new Map<string, Kind>([['apis', 'apis'], ['products', 'products'], ['subscriptions', 'subscriptions'], ['named-values', 'namedValues'], ['policy-fragments', 'fragments'], ['backends', 'backends'], ['gateways', 'gateways']]);
export const kindOfUrl = (segment: string): Kind | undefined => URL_KINDS.get(segment);
export const KIND_URL: Record<Kind, string> = { apis: 'apis', products: 'products', subscriptions: 'subscriptions', namedValues: 'named-values', fragments: 'policy-fragments', backends: 'backends', gateways: 'gateways' };
type ConfigKind = Exclude<Kind, 'gateways'>;
const CONFIG_KINDS: ConfigKind[] = ['apis', 'products', 'subscriptions', 'namedValues', 'fragments', 'backends'];

/** Named values are keyed by `name` (as in the gateway config); everything else by `id`. */
export const idField = (kind: Kind): string => (kind === 'namedValues' ? 'name' : 'id');
/** Fields the server adds to what it returns; dropped from a PUT so GET → edit → PUT works. */
const SERVER_FIELDS = ['revision', 'updatedAt', 'connectedNodes', 'nodes', 'configStatus', 'assignedApis'];

export interface Problem { path: string; message: string; resource?: string }
export interface Rejection { status: 400 | 409; problems: Problem[] }

export const newKey = (): string => randomBytes(32).toString('base64url');

const gatewaySchema = z.object({
  id: z.string().min(1).regex(/^[A-Za-z0-9._~-]+$/, 'letters, digits and . _ ~ - only'),
  name: z.string().min(1),
  description: z.string().optional(),
  primaryKey: z.string().min(32, 'a gateway key needs at least 32 characters').optional(),
  secondaryKey: z.string().min(32, 'a gateway key needs at least 32 characters').optional(),
}).strict();

/**
 * The document to store for a PUT: the id filled from the URL, server fields dropped, and keys
 * generated where absent (kept from the stored version on an update, so a PUT that changes a
 * subscription's state does not cut its clients off).
 */
export function prepareDoc(kind: Kind, id: string, body: unknown, existing: Doc | undefined): { doc: Doc } | Rejection {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, problems: [{ path: '', message: 'the body must be a JSON object' }] };
  const field = idField(kind);
  const doc: Doc = { [field]: id, ...(body as Doc) }; // the id first, as in a config file
  for (const f of SERVER_FIELDS) delete doc[f];
  if (doc[field] !== id) return { status: 400, problems: [{ path: field, message: `must match the id in the URL ("${id}")` }] };
  if (kind === 'subscriptions' || kind === 'gateways') {
    // A key given as its hash (subscriptions only) is not generated in plain text as well.
    for (const k of ['primaryKey', 'secondaryKey']) {
      const h = `${k}Hash`;
      if (doc[k] !== undefined || doc[h] !== undefined) continue;
      if (existing?.[h] !== undefined && existing[k] === undefined) doc[h] = existing[h];
      else doc[k] = existing?.[k] ?? newKey();
    }
  }
  if (kind === 'namedValues' && doc.value === null && existing?.secret === true) doc.value = existing.value; // a GET'd secret PUT back unchanged
  if (kind === 'backends') restoreCredentials(doc, existing);
  if (kind === 'gateways') {
    const parsed = gatewaySchema.safeParse(doc);
    if (!parsed.success) return { status: 400, problems: zodProblems(parsed.error) };
  }
  return { doc };
}

/** Checks the state after a change (doc null = delete); undefined when it is acceptable. */
export function checkChange(store: Store, kind: Kind, id: string, doc: Doc | null): Rejection | undefined {
  if (kind === 'gateways') return undefined; // gateways are not part of a gateway config
  const before = problemsOf(store, undefined);
  const seen = new Set(before.map((p) => `${p.resource} ${p.path} ${p.message}`));
  const after = problemsOf(store, { kind, id, doc }).filter((p) => !seen.has(`${p.resource} ${p.path} ${p.message}`));
  if (after.length === 0) return undefined;
  const self = `/${KIND_URL[kind]}/${id}`;
  const onSelf = after.some((p) => p.resource === self);
  return {
    status: onSelf && doc !== null ? 400 : 409,
    problems: after.map((p) => (p.resource === self && doc !== null ? { path: p.path, message: p.message } : p)),
  };
}

/** Every problem of the (changed) state, each naming the resource it sits on. */
function problemsOf(store: Store, change: { kind: Kind; id: string; doc: Doc | null } | undefined): Problem[] {
  const ids = {} as Record<ConfigKind, string[]>;
  const config: Record<string, Doc[]> = {};
  for (const kind of CONFIG_KINDS) {
    const docs = new Map(store.list(kind).map((s) => [s.id, s.doc]));
    if (change?.kind === kind) {
      if (change.doc === null) docs.delete(change.id);
      else docs.set(change.id, change.doc);
    }
    const sorted = [...docs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    ids[kind] = sorted.map(([k]) => k);
    config[kind] = sorted.map(([, d]) => d);
  }
  const result = validateGatewayConfig(config);
  const problems: ConfigProblem[] = result.ok ? [...compilePolicies(result.config).problems, ...fragmentBackendProblems(result.config)] : result.problems;
  return problems.map((p) => locate(p, ids));
}

/**
 * A fragment's constant backend-ids name existing backends. The gateway compiles a fragment only
 * where it is included, so without this a backend a fragment names could be deleted while no API
 * includes it yet, and the next include would fail instead of the delete.
 */
function fragmentBackendProblems(config: GatewayConfig): ConfigProblem[] {
  if (config.fragments.length === 0) return [];
  const backendIds = new Set(config.backends.map((b) => b.id));
  const named = new Map(config.namedValues.map((v) => [v.name, v.value]));
  const problems: ConfigProblem[] = [];
  config.fragments.forEach((f, i) => {
    const uses: BackendUses = { ids: new Set(), any: false, fragments: new Set() };
    fragmentUses(f.policy, named, uses);
    for (const id of uses.ids) {
      // An id still holding `{{name}}` names a missing named value: the gateway reports that one.
      if (!backendIds.has(id) && !id.includes('{{')) problems.push({ path: `fragments[${i}].policy`, message: `set-backend-service: no backend with id "${id.slice(0, 100)}" (config: backends)` });
    }
  });
  return problems;
}

/** `products[2].apis[0]` → `{ resource: "/products/gold", path: "apis[0]" }`. */
function locate(p: ConfigProblem, ids: Record<ConfigKind, string[]>): Problem {
  const m = /^(apis|products|subscriptions|namedValues|fragments|backends)\[(\d+)\]\.?(.*)$/.exec(p.path);
  if (!m) return { path: p.path, message: p.message, resource: '/' };
  const kind = m[1] as ConfigKind;
  return { resource: `/${KIND_URL[kind]}/${ids[kind][Number(m[2])]}`, path: m[3], message: p.message };
}

function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }))
    : [{ path: formatPath(issue.path), message: issue.message }]);
}

/** What the admin API shows: server fields added; secrets and gateway keys left out. */
export function present(kind: Kind, stored: { doc: Doc; revision: number; updatedAt: string }): Doc {
  const out: Doc = { ...stored.doc, revision: stored.revision, updatedAt: stored.updatedAt };
  if (kind === 'namedValues' && out.secret === true) out.value = null;
  if (kind === 'backends' && isObject(out.credentials)) out.credentials = maskCredentials(out.credentials);
  if (kind === 'gateways') { delete out.primaryKey; delete out.secondaryKey; }
  return out;
}
