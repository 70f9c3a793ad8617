/**
 * authentication-certificate (APIM): the backend connection presents a client certificate, named
 * by `certificate-id` (an entry of the config's `certificates`: PEM cert and key files, read when
 * the config is compiled; an unknown id is a compile error) or by `thumbprint`, APIM's SHA-1
 * thumbprint of the certificate (40 hex digits, any case): the thumbprint of every declared
 * certificate is computed from its file, and one that matches none is a compile error listing
 * what is declared. The request then goes through an upstream pool of its own for that origin and
 * certificate (a TLS session belongs to one client identity), so it only matters for an https backend.
 *
 * Deviations from APIM, each a compile error naming the attribute: `body` and `password` (a PFX in
 * the policy); a policy expression in `thumbprint` or `certificate-id` (APIM allows one: Outpost
 * resolves the certificate when the config loads).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, stringAttr } from './attributes.js';
import { compileEnv } from '../pipeline/compile-env.js';
import { THUMBPRINT, thumbprintRef } from './certificate-ref.js';

const UNSUPPORTED: Record<string, string> = {
  body: 'is not supported: declare the certificate under certificates (PEM files) and use certificate-id or thumbprint',
  password: 'is not supported: certificates are unencrypted PEM files, named by certificate-id or thumbprint',
};

/** How many declared certificates a "no such thumbprint" error lists. */
const LISTED = 10;

interface Config { id: string }

export const authenticationCertificate: PolicyFactory<Config> = {
  name: 'authentication-certificate',
  sections: ['inbound'],
  compile(el, at) {
    for (const [attr, why] of Object.entries(UNSUPPORTED)) if (attr in el.attrs) throw new PolicyCompileError(at, attr, why);
    allowOnly(el, at, ['certificate-id', 'thumbprint']);
    if (el.attrs.thumbprint !== undefined) {
      if (el.attrs['certificate-id'] !== undefined) throw new PolicyCompileError(at, 'thumbprint', 'give thumbprint or certificate-id, not both');
      return { id: byThumbprint(el, at) };
    }
    const id = stringAttr(el, at, 'certificate-id');
    const known = compileEnv()?.certificateIds;
    if (known !== undefined && !known.has(id)) throw new PolicyCompileError(at, 'certificate-id', `no certificate with id "${id.slice(0, 100)}" (config: certificates)`);
    return { id };
  },
  create(config) {
    const id = config.id;
    return {
      run(ctx) {
        ctx.clientCertificate = id;
        return CONTINUE;
      },
    };
  },
};

/** The id of the declared certificate with this thumbprint (or its thumbprint reference when the files were not read). */
function byThumbprint(el: PolicyElement, at: PolicyLocation): string {
  const raw = stringAttr(el, at, 'thumbprint');
  if (!THUMBPRINT.test(raw)) throw new PolicyCompileError(at, 'thumbprint', `must be a certificate's SHA-1 thumbprint (40 hex digits), got "${raw.slice(0, 100)}"`);
  const thumbprint = raw.toUpperCase();
  const env = compileEnv();
  const declared = env?.certificateThumbprints ?? null;
  if (declared === null) return thumbprintRef(thumbprint);
  const id = declared.get(thumbprint);
  if (id !== undefined) return id;
  const list = [...declared].slice(0, LISTED).map(([t, i]) => `${i} (${t})`);
  const more = declared.size > LISTED ? `, and ${declared.size - LISTED} more` : '';
  throw new PolicyCompileError(at, 'thumbprint', `no declared certificate has thumbprint ${thumbprint} (config: certificates; declared: ${list.length === 0 ? 'none' : list.join(', ') + more})`);
}
