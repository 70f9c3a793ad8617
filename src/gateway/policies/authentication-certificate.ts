/**
 * authentication-certificate (APIM): the backend connection presents a client certificate.
 * `certificate-id` names an entry of the config's `certificates` (PEM cert and key files, read
 * when the config is compiled; an unknown id is a compile error). The request then goes through
 * an upstream pool of its own for that origin and certificate (a TLS session belongs to one
 * client identity), so it only matters for an https backend.
 *
 * Not supported, each a compile error naming the attribute: `thumbprint` (Outpost has no
 * certificate store to look a thumbprint up in), `body` and `password` (a PFX in the policy).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, stringAttr } from './attributes.js';
import { compileEnv } from '../pipeline/compile-env.js';

const UNSUPPORTED: Record<string, string> = {
  thumbprint: 'is not supported: Outpost has no certificate store; declare the certificate under certificates and use certificate-id',
  body: 'is not supported: declare the certificate under certificates (PEM files) and use certificate-id',
  password: 'is not supported: certificates are unencrypted PEM files, named by certificate-id',
};

interface Config { id: string }

export const authenticationCertificate: PolicyFactory<Config> = {
  name: 'authentication-certificate',
  sections: ['inbound'],
  compile(el, at) {
    for (const [attr, why] of Object.entries(UNSUPPORTED)) if (attr in el.attrs) throw new PolicyCompileError(at, attr, why);
    allowOnly(el, at, ['certificate-id']);
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
