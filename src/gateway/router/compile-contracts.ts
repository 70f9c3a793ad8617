/**
 * The operation contracts of a config (what the validation policies check against), for the
 * table's meta: keyed by operation index, present only for operations that declare something.
 */
import type { GatewayConfig, OperationConfig } from '../../shared/config-schema.js';
import type { OperationContract, ParameterSpec, RepresentationSpec } from '../../shared/operation-contract.js';
import { checkTemplate } from '../../shared/url-template.js';

type Representation = NonNullable<OperationConfig['request']>['representations'][number];

export function compileContracts(config: GatewayConfig): Record<string, OperationContract> {
  const schemas = new Map((config.schemas ?? []).map((s) => [s.id, s.document]));
  const out: Record<string, OperationContract> = {};
  let index = 0;
  for (const api of config.apis) {
    for (const op of api.operations) {
      if (op.parameters !== undefined || op.request !== undefined || op.responses !== undefined) out[String(index)] = compileContract(op, schemas);
      index++;
    }
  }
  return out;
}

export function compileContract(op: OperationConfig, schemas: ReadonlyMap<string, Record<string, unknown>>): OperationContract {
  const declared = op.parameters ?? [];
  const spec = (p: (typeof declared)[number]): ParameterSpec => ({ name: p.in === 'header' ? p.name.toLowerCase() : p.name, required: p.required, type: p.type });
  const path = declared.filter((p) => p.in === 'path').map(spec);
  const query = declared.filter((p) => p.in === 'query').map(spec);
  // Every template parameter (path, or the template's query part) is part of the operation's definition, typed or not.
  const checked = checkTemplate(op.urlTemplate);
  if (typeof checked !== 'string') {
    for (const seg of checked.path) {
      const names = seg.kind === 'param' ? [seg.name] : seg.kind === 'pattern' ? seg.names : [];
      for (const name of names) if (!path.some((p) => p.name === name)) path.push({ name, required: true, type: 'string' });
    }
    for (const q of checked.query) if (!query.some((p) => p.name === q.query)) query.push({ name: q.query, required: true, type: 'string' });
  }
  const representation = (r: Representation): RepresentationSpec => ({
    contentType: r.contentType.toLowerCase(),
    schemaName: r.schemaId ?? '',
    schema: r.schemaId !== undefined ? schemas.get(r.schemaId) ?? null : r.schema ?? null,
  });
  return {
    query,
    path,
    headers: declared.filter((p) => p.in === 'header').map(spec),
    request: (op.request?.representations ?? []).map(representation),
    responses: (op.responses ?? []).map((r) => ({
      status: r.statusCode,
      headers: r.headers.map((h) => ({ name: h.name.toLowerCase(), required: h.required, type: h.type })),
      representations: r.representations.map(representation),
    })),
  };
}
