/**
 * validate-client-certificate (APIM): the certificate the client presented on the HTTPS
 * listener (gateway.tls.clientCertificate "request" or "require") must pass every rule of the
 * element and match every claim of at least one `<identity>`:
 * - validate-trust: the chain verifies to gateway.tls.clientCaFile (or Node's root CAs without
 *   one): OpenSSL's verdict on the handshake, the listener never refusing it itself;
 * - validate-not-before / validate-not-after: the certificate's validity against the gateway's clock;
 * - validate-revocation: checked against gateway.tls.clientCrlFile (OpenSSL, along the chain).
 *   APIM checks an online revocation list; a self-hosted gateway fetches nothing online, so with no
 *   CRL file there is nothing to check against and the rule passes (README). With one, a revoked
 *   certificate, or a chain CA without a CRL in the file, fails;
 * - identities: thumbprint (SHA-1, as APIM's), serial-number, common-name, subject, dns-name
 *   (subjectAltName), issuer-subject, issuer-thumbprint (the issuing certificate the client sent
 *   or the CA it chained to). issuer-certificate-id is refused (deviation: certificate entities
 *   here hold client certificates for backends, not CAs).
 * A failure fails the policy with 401 "Invalid client certificate." (on-error runs; LastError
 * says which rule), or with ignore-error="true" lets the request go on. No certificate (plain
 * HTTP, or none sent) fails the same way.
 */
import type { X509Certificate } from 'node:crypto';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, FAIL, type Outcome, type Section } from '../pipeline/phases.js';
import { childLocation, collectInto, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, boolAttr } from './attributes.js';
import { dnsNames, nodeDistinguishedName, normalHex, parseDistinguishedName, sameDistinguishedName } from './client-certificate-claims.js';

const MAX_IDENTITIES = 100;
/** OpenSSL verdicts that are not about trust: the date and revocation rules judge them. */
const DATE_ERRORS: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const REVOCATION_ERRORS: ReadonlySet<string> = new Set(['CERT_REVOKED', 'UNABLE_TO_GET_CRL', 'CRL_HAS_EXPIRED', 'CRL_NOT_YET_VALID', 'UNABLE_TO_GET_CRL_ISSUER']);
const IDENTITY_ATTRS = ['thumbprint', 'serial-number', 'common-name', 'subject', 'dns-name', 'issuer-subject', 'issuer-thumbprint', 'issuer-certificate-id'] as const;

interface Identity {
  thumbprint: string | null;
  serialNumber: string | null;
  commonName: string | null;
  subject: string[] | null;
  dnsName: string | null;
  issuerSubject: string[] | null;
  issuerThumbprint: string | null;
}

interface Config {
  revocation: boolean;
  trust: boolean;
  notBefore: boolean;
  notAfter: boolean;
  ignoreError: boolean;
  identities: Identity[];
  section: Section;
}

function hexAttr(el: PolicyElement, at: PolicyLocation, name: string, pattern: RegExp, what: string, dropZeros: boolean): string | null {
  const raw = el.attrs[name];
  if (raw === undefined) return null;
  const hex = normalHex(raw, dropZeros);
  if (!pattern.test(hex)) throw new PolicyCompileError(at, name, `must be ${what}, got "${raw.slice(0, 80)}"`);
  return hex;
}

function dnAttr(el: PolicyElement, at: PolicyLocation, name: string): string[] | null {
  const raw = el.attrs[name];
  if (raw === undefined) return null;
  const dn = raw.length > 1024 ? null : parseDistinguishedName(raw);
  if (dn === null) throw new PolicyCompileError(at, name, 'must be a distinguished name such as "CN=api.example.com, O=Contoso, C=US" (quote a value holding a comma)');
  return dn;
}

function identity(el: PolicyElement, at: PolicyLocation): Identity {
  if (el.name !== 'identity') throw new PolicyCompileError(at, null, `unknown child element <${el.name}> (allowed: identity)`);
  allowOnly(el, at, IDENTITY_ATTRS);
  if (el.attrs['issuer-certificate-id'] !== undefined) throw new PolicyCompileError(at, 'issuer-certificate-id', 'is not supported: give issuer-subject or issuer-thumbprint of the issuing CA');
  if (Object.keys(el.attrs).length === 0) throw new PolicyCompileError(at, null, 'an <identity> needs at least one claim');
  const text = (name: string): string | null => {
    const v = el.attrs[name];
    if (v === undefined) return null;
    if (v === '' || v.length > 1024) throw new PolicyCompileError(at, name, 'must be 1 to 1024 characters');
    return v.toLowerCase();
  };
  return {
    thumbprint: hexAttr(el, at, 'thumbprint', /^[0-9A-F]{40}$/, 'a SHA-1 thumbprint (40 hex digits)', false),
    serialNumber: hexAttr(el, at, 'serial-number', /^[0-9A-F]{1,64}$/, 'a serial number in hex', true),
    commonName: text('common-name'),
    subject: dnAttr(el, at, 'subject'),
    dnsName: text('dns-name'),
    issuerSubject: dnAttr(el, at, 'issuer-subject'),
    issuerThumbprint: hexAttr(el, at, 'issuer-thumbprint', /^[0-9A-F]{40}$/, 'a SHA-1 thumbprint (40 hex digits)', false),
  };
}

export const validateClientCertificate: PolicyFactory<Config> = {
  name: 'validate-client-certificate',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['validate-revocation', 'validate-trust', 'validate-not-before', 'validate-not-after', 'ignore-error'], ['identities']);
    const groups = el.children;
    if (groups.length > 1) throw new PolicyCompileError(at, null, '<identities> may appear once');
    const identities: Identity[] = [];
    if (groups.length === 1) {
      const where = childLocation(at, 'identities', 0);
      allowOnly(groups[0], where, [], ['identity']);
      if (groups[0].children.length > MAX_IDENTITIES) throw new PolicyCompileError(where, null, `at most ${MAX_IDENTITIES} <identity> elements`);
      const sink: PolicyCompileError[] = [];
      groups[0].children.forEach((c, i) => collectInto(sink, () => identities.push(identity(c, childLocation(where, 'identity', i)))));
      throwCollected(sink);
    }
    return {
      revocation: boolAttr(el, at, 'validate-revocation', true),
      trust: boolAttr(el, at, 'validate-trust', true),
      notBefore: boolAttr(el, at, 'validate-not-before', true),
      notAfter: boolAttr(el, at, 'validate-not-after', true),
      ignoreError: boolAttr(el, at, 'ignore-error', false),
      identities,
      section: at.section as Section,
    };
  },
  create(config, services): PolicyInstance {
    const refuse = (ctx: RequestContext, why: string): Outcome => {
      if (config.ignoreError) return CONTINUE;
      ctx.fail({ source: 'client', reason: 'ClientCertificateInvalid', message: why, section: config.section, policy: 'validate-client-certificate', code: 'OUTPOST_ERR_CLIENT_CERTIFICATE_INVALID' });
      return FAIL;
    };
    return {
      run(ctx: RequestContext): Outcome {
        const socket = ctx.clientTls;
        const cert = socket?.getPeerX509Certificate();
        if (socket === null || cert === undefined) return refuse(ctx, 'The request has no client certificate.');
        const verdict = socket.authorized ? null : String(socket.authorizationError ?? 'UNKNOWN');
        if (config.trust && verdict !== null && !DATE_ERRORS.has(verdict) && !REVOCATION_ERRORS.has(verdict)) return refuse(ctx, `The client certificate is not trusted (${verdict}).`);
        if (config.revocation && verdict !== null && REVOCATION_ERRORS.has(verdict)) return refuse(ctx, `The client certificate's revocation check failed (${verdict}).`);
        const now = services.now();
        if (config.notBefore && now < Date.parse(cert.validFrom)) return refuse(ctx, `The client certificate is not valid before ${cert.validFrom}.`);
        if (config.notAfter && now > Date.parse(cert.validTo)) return refuse(ctx, `The client certificate expired at ${cert.validTo}.`);
        if (config.identities.length > 0 && !config.identities.some((id) => matches(id, cert, socket))) return refuse(ctx, 'The client certificate matches none of the identities.');
        return CONTINUE;
      },
    };
  },
};

function matches(id: Identity, cert: X509Certificate, socket: NonNullable<RequestContext['clientTls']>): boolean {
  if (id.thumbprint !== null && normalHex(cert.fingerprint, false) !== id.thumbprint) return false;
  if (id.serialNumber !== null && normalHex(cert.serialNumber, true) !== id.serialNumber) return false;
  const subject = nodeDistinguishedName(cert.subject);
  if (id.commonName !== null && !subject.includes(`CN=${id.commonName}`)) return false;
  if (id.subject !== null && !sameDistinguishedName(id.subject, subject)) return false;
  if (id.dnsName !== null && !dnsNames(cert.subjectAltName).includes(id.dnsName)) return false;
  if (id.issuerSubject !== null && !sameDistinguishedName(id.issuerSubject, nodeDistinguishedName(cert.issuer))) return false;
  if (id.issuerThumbprint !== null) {
    // The issuing certificate: the one the client sent, or the CA its chain was verified to.
    const issuer = socket.getPeerCertificate(true).issuerCertificate as { fingerprint?: string } | undefined;
    if (issuer?.fingerprint === undefined || normalHex(issuer.fingerprint, false) !== id.issuerThumbprint) return false;
  }
  return true;
}
