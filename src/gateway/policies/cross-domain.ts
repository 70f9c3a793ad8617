/**
 * cross-domain (APIM, inbound): answers GET (and HEAD) /crossdomain.xml with the Adobe
 * cross-domain policy file written inside it, for Flash and Silverlight clients:
 *
 *   <cross-domain><cross-domain-policy><allow-access-from domain="*" /></cross-domain-policy></cross-domain>
 *
 * serves `<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*" /></cross-domain-policy>`
 * as text/x-cross-domain-policy (Adobe's type for policy files). The file is checked and written
 * once, at compile time: one <cross-domain-policy> holding only the elements Adobe's specification
 * defines (site-control, allow-access-from, allow-access-from-identity and its signatory/
 * certificate, allow-http-request-headers-from), at most 64 KiB. Other requests pass on.
 *
 * Deviation from APIM: APIM allows this policy at global scope only and serves the host's root
 * /crossdomain.xml. Outpost runs policies on requests routed to an operation, so it answers where
 * the request's path after the API suffix is /crossdomain.xml (an API on the root suffix with a
 * catch-all operation serves the host's root), and accepts the policy at any scope.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { childLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { hasExpression } from '../pipeline/expression/index.js';
import { allowOnly } from './attributes.js';

interface Config { file: string }

const MAX_FILE = 64 * 1024;
const PATH = '/crossdomain.xml';
const CONTENT_TYPE = 'text/x-cross-domain-policy';

/** Adobe's policy-file elements and their attributes (CrossDomain_PolicyFile_Specification). */
const ELEMENTS: Record<string, { attrs: string[]; children: string[] }> = {
  'cross-domain-policy': { attrs: [], children: ['site-control', 'allow-access-from', 'allow-access-from-identity', 'allow-http-request-headers-from'] },
  'site-control': { attrs: ['permitted-cross-domain-policies'], children: [] },
  'allow-access-from': { attrs: ['domain', 'to-ports', 'secure'], children: [] },
  'allow-access-from-identity': { attrs: [], children: ['signatory'] },
  signatory: { attrs: [], children: ['certificate'] },
  certificate: { attrs: ['fingerprint', 'fingerprint-algorithm'], children: [] },
  'allow-http-request-headers-from': { attrs: ['domain', 'headers', 'secure'], children: [] },
};

export const crossDomain: PolicyFactory<Config> = {
  name: 'cross-domain',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, [], ['cross-domain-policy']);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'cross-domain holds a <cross-domain-policy> element, not text');
    if (el.children.length !== 1) throw new PolicyCompileError(at, null, 'cross-domain needs exactly one <cross-domain-policy> element');
    const out: string[] = ['<?xml version="1.0"?>'];
    writeElement(out, el.children[0], childLocation(at, 'cross-domain-policy', 0));
    const file = out.join('');
    if (Buffer.byteLength(file) > MAX_FILE) throw new PolicyCompileError(at, null, `the policy file must be at most ${MAX_FILE} bytes`);
    return { file };
  },
  create(config): PolicyInstance {
    const body = Buffer.from(config.file);
    return {
      run(ctx: RequestContext): Outcome {
        if (ctx.path !== PATH || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return CONTINUE;
        ctx.respond(200, 'OK', ['content-type', CONTENT_TYPE], ctx.method === 'HEAD' ? null : body);
        return RESPOND;
      },
    };
  },
};

function writeElement(out: string[], el: PolicyElement, at: PolicyLocation): void {
  const spec = ELEMENTS[el.name];
  allowOnly(el, at, spec.attrs, spec.children);
  if (el.text !== '') throw new PolicyCompileError(at, null, `<${el.name}> holds no text`);
  let attrs = '';
  for (const name of spec.attrs) {
    const v = el.attrs[name];
    if (v === undefined) continue;
    if (hasExpression(v)) throw new PolicyCompileError(at, name, 'policy expressions are not evaluated in a cross-domain policy file');
    if (v.length > 1024 || /[\u0000-\u001f]/.test(v)) throw new PolicyCompileError(at, name, 'must be at most 1024 printable characters');
    attrs += ` ${name}="${v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')}"`;
  }
  if (el.children.length === 0) { out.push(`<${el.name}${attrs} />`); return; }
  out.push(`<${el.name}${attrs}>`);
  el.children.forEach((c, i) => writeElement(out, c, childLocation(at, c.name, i)));
  out.push(`</${el.name}>`);
}
