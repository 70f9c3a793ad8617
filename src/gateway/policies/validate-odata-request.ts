/**
 * validate-odata-request (APIM): checks a request to an OData API against the OData rules the
 * gateway can see without the service's metadata:
 * - OData-Version (absent: default-odata-version, 4.0 when not given) must be a version and lie
 *   within min-odata-version..max-odata-version; OData-MaxVersion, when sent, must be a version
 *   and not below min-odata-version (the client could accept no version the API serves);
 * - the payload (Content-Length) must not exceed max-size; a chunked body has no known size and
 *   counts as over it when max-size is set;
 * - the URL: balanced parentheses and quotes in the resource path (`/People('russell')`), system
 *   query options that exist (`$filter`, `$top`…; without the `$` only from 4.01, as the
 *   protocol allows), each at most once, `$top`/`$skip` whole numbers ≥ 0, `$count` true or false.
 * Each problem is an error record (validation-report.ts) in error-variable-name; any error
 * refuses the request with 400 and the problem as its message (APIM's policy has no action
 * attribute: it refuses). Deviation (README): without the service's $metadata, entity sets,
 * properties and the expression syntax inside $filter are not checked.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import type { Section } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { pairName, pairValue, splitQuery } from '../../shared/query-string.js';
import { allowOnly, intAttr, optionalVariableName } from './attributes.js';
import { addError, finishReport, type ValidationReport } from './validation-report.js';

const SYSTEM_OPTIONS: ReadonlySet<string> = new Set([
  'filter', 'select', 'expand', 'orderby', 'top', 'skip', 'count', 'search', 'format', 'compute',
  'index', 'skiptoken', 'deltatoken', 'apply', 'schemaversion', 'levels', 'id',
]);
const VERSION = /^(\d)\.(\d{1,2})$/;
/** OData 4.01: system query options may omit the `$` and compare case-insensitively. */
const V4_01 = 401;

interface Config {
  variable: string | null;
  defaultVersion: number;
  minVersion: number | null;
  maxVersion: number | null;
  /** -1: no limit. */
  maxSize: number;
  section: Section;
}

/** "4.01" → 401, "4.0" → 400; null when not a version. */
export function odataVersion(raw: string): number | null {
  const m = VERSION.exec(raw.trim());
  if (m === null) return null;
  return Number(m[1]) * 100 + Number(m[2]);
}

function versionAttr(el: PolicyElement, at: PolicyLocation, name: string): number | null {
  const raw = el.attrs[name];
  if (raw === undefined) return null;
  const v = odataVersion(raw);
  if (v === null) throw new PolicyCompileError(at, name, `must be an OData version such as 4.0 or 4.01, got "${raw.slice(0, 50)}"`);
  return v;
}

const show = (v: number): string => `${Math.floor(v / 100)}.${v % 100 === 0 ? '0' : String(v % 100).padStart(2, '0')}`;

export const validateOdataRequest: PolicyFactory<Config> = {
  name: 'validate-odata-request',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['error-variable-name', 'default-odata-version', 'min-odata-version', 'max-odata-version', 'max-size']);
    const minVersion = versionAttr(el, at, 'min-odata-version');
    const maxVersion = versionAttr(el, at, 'max-odata-version');
    if (minVersion !== null && maxVersion !== null && minVersion > maxVersion) throw new PolicyCompileError(at, 'min-odata-version', `is above max-odata-version (${show(maxVersion)})`);
    return {
      variable: optionalVariableName(el, at, 'error-variable-name'),
      defaultVersion: versionAttr(el, at, 'default-odata-version') ?? 400,
      minVersion, maxVersion,
      maxSize: el.attrs['max-size'] === undefined ? -1 : intAttr(el, at, 'max-size', { min: 0, max: Number.MAX_SAFE_INTEGER }),
      section: at.section as Section,
    };
  },
  create(config): PolicyInstance {
    const target = { policy: 'validate-odata-request', section: config.section, variable: config.variable };
    return {
      run(ctx: RequestContext) {
        const found = new Found();
        const version = checkVersions(ctx, config, found);
        if (config.maxSize >= 0) {
          const length = ctx.header('content-length');
          const size = length === null ? (ctx.header('transfer-encoding') !== null ? Infinity : 0) : Number(length);
          if (size > config.maxSize) found.add('', 'RequestBody', `Request's body is ${size === Infinity ? 'of unknown length' : `${size} bytes long`} and it exceeds the limit of ${config.maxSize} bytes.`);
        }
        checkPath(ctx.path, found);
        checkQuery(ctx.query, version, found);
        return finishReport(found.report, target, ctx, false);
      },
    };
  },
};

/** The errors found so far (every one refuses: the policy has no action attribute). */
class Found {
  report: ValidationReport | null = null;
  add(name: string, type: string, details: string): void {
    this.report = addError(this.report, 'prevent', name, type, 'IncorrectMessage', details, details);
  }
}

/** The request's OData version (or the default), after checking both version headers. */
function checkVersions(ctx: RequestContext, config: Config, found: Found): number {
  let version = config.defaultVersion;
  const sent = ctx.header('odata-version');
  if (sent !== null) {
    const v = odataVersion(sent);
    if (v === null) found.add('OData-Version', 'RequestHeader', `The OData-Version header "${sent.slice(0, 50)}" is not an OData version.`);
    else version = v;
  }
  if (config.minVersion !== null && version < config.minVersion) found.add('OData-Version', 'RequestHeader', `OData version ${show(version)} is below the minimum version ${show(config.minVersion)}.`);
  if (config.maxVersion !== null && version > config.maxVersion) found.add('OData-Version', 'RequestHeader', `OData version ${show(version)} is above the maximum version ${show(config.maxVersion)}.`);
  const max = ctx.header('odata-maxversion');
  if (max !== null) {
    const v = odataVersion(max);
    if (v === null) found.add('OData-MaxVersion', 'RequestHeader', `The OData-MaxVersion header "${max.slice(0, 50)}" is not an OData version.`);
    else if (config.minVersion !== null && v < config.minVersion) found.add('OData-MaxVersion', 'RequestHeader', `OData-MaxVersion ${show(v)} is below the minimum version ${show(config.minVersion)}.`);
  }
  return version;
}

/** Balanced parentheses, and quotes closed, in the resource path (key predicates, function parameters). */
function checkPath(path: string, found: Found): void {
  let decoded: string;
  try { decoded = decodeURIComponent(path); } catch { decoded = path; }
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded[i];
    if (c === "'") {
      // '' inside a string literal is an escaped quote.
      if (quoted && decoded[i + 1] === "'") { i++; continue; }
      quoted = !quoted;
    } else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') { depth--; if (depth < 0) break; }
  }
  if (quoted) found.add('path', 'PathParameter', 'The resource path has a string literal without its closing quote.');
  else if (depth !== 0) found.add('path', 'PathParameter', 'The resource path has unbalanced parentheses.');
}

function checkQuery(query: string, version: number, found: Found): void {
  const seen = new Set<string>();
  for (const pair of splitQuery(query)) {
    const raw = pairName(pair);
    const dollar = raw.startsWith('$');
    const bare = dollar ? raw.slice(1) : raw;
    const name = version >= V4_01 ? bare.toLowerCase() : bare;
    if (!SYSTEM_OPTIONS.has(name) || (!dollar && version < V4_01)) {
      // Custom query options are any name without a leading `$` (or `@`, a parameter alias).
      if (dollar) found.add(raw, 'QueryParameter', `$${bare} is not an OData system query option.`);
      continue;
    }
    if (seen.has(name)) { found.add(raw, 'QueryParameter', `The system query option $${name} is given more than once.`); continue; }
    seen.add(name);
    const value = pairValue(pair);
    if ((name === 'top' || name === 'skip') && !/^\d{1,18}$/.test(value)) found.add(raw, 'QueryParameter', `The value of $${name} must be a whole number of 0 or more.`);
    if (name === 'count' && value !== 'true' && value !== 'false') found.add(raw, 'QueryParameter', 'The value of $count must be true or false.');
  }
}
