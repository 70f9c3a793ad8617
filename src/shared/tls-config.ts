/**
 * The TLS parts of the gateway config: the HTTPS listener (`gateway.tls`), the CA bundle and
 * client certificate for every https backend (`gateway.upstream.tls`), and per API
 * (`apis[].backendTls`). The schema checks shapes only; the files themselves are read and checked
 * (readable, PEM, key matches certificate) when a config is loaded
 * (src/gateway/tls/), and a problem names the field and the file.
 */
import { createSecureContext } from 'node:tls';
import { z } from 'zod';

const filePath = z.string().min(1).max(4096);

/** TLS 1.1 and older are refused as values, not only by default. */
export const TLS_MIN_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

function validCipherList(ciphers: string): boolean {
  try {
    createSecureContext({ ciphers });
    return true;
  } catch {
    return false;
  }
}

export const listenerTlsSchema = z.object({
  /** HTTPS port; `--https-port` / OUTPOST_HTTPS_PORT override it. */
  port: z.number().int().min(0).max(65535).default(8081),
  /** The first is the default (no SNI, or a name no certificate has); the others are chosen by SNI. */
  certificates: z.array(z.object({
    /** PEM: the leaf first, then its intermediates (the whole chain is served). */
    certFile: filePath,
    keyFile: filePath,
  }).strict()).min(1, 'at least one certificate is needed').max(256),
  minVersion: z.enum(TLS_MIN_VERSIONS, { errorMap: () => ({ message: 'must be "TLSv1.2" or "TLSv1.3" (TLS 1.1 and older are refused)' }) }).default('TLSv1.2'),
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults); absent = Node's default. */
  ciphers: z.string().min(1).max(4096).refine(validCipherList, 'not a cipher list OpenSSL accepts').optional(),
  /**
   * Whether the handshake asks clients for a certificate (validate-client-certificate and
   * context.Request.Certificate read it): none; request (a client may send none); require (a
   * connection without one is closed). An untrusted certificate is never refused at the TLS
   * level: the policy decides (validate-trust).
   */
  clientCertificate: z.enum(['none', 'request', 'require']).optional(),
  /** PEM CA certificates that client certificates must chain to (validate-trust). */
  clientCaFile: filePath.optional(),
  /** PEM CRL(s) of those CAs: a revoked client certificate fails validate-revocation. */
  clientCrlFile: filePath.optional(),
}).strict().superRefine((tls, ctx) => {
  if ((tls.clientCertificate ?? 'none') === 'none' && (tls.clientCaFile !== undefined || tls.clientCrlFile !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['clientCertificate'], message: 'must be "request" or "require" when clientCaFile or clientCrlFile is set' });
  }
  if (tls.clientCrlFile !== undefined && tls.clientCaFile === undefined) ctx.addIssue({ code: 'custom', path: ['clientCaFile'], message: 'is required with clientCrlFile (a CRL is checked along the chain to these CAs)' });
});

/** A client certificate is a pair: both files or neither. */
function pairRule(tls: { certFile?: string; keyFile?: string }, ctx: z.RefinementCtx): void {
  if (tls.certFile !== undefined && tls.keyFile === undefined) ctx.addIssue({ code: 'custom', path: ['keyFile'], message: 'required with certFile' });
  if (tls.keyFile !== undefined && tls.certFile === undefined) ctx.addIssue({ code: 'custom', path: ['certFile'], message: 'required with keyFile' });
}

const upstreamTlsFields = {
  /** PEM CA certificates trusted in addition to the system CAs. */
  caFile: filePath.optional(),
  /** Client certificate (PEM, leaf then intermediates) presented to backends that ask for one. */
  certFile: filePath.optional(),
  keyFile: filePath.optional(),
};

export const upstreamTlsSchema = z.object(upstreamTlsFields).strict().superRefine(pairRule);

export const backendTlsSchema = z.object({
  ...upstreamTlsFields,
  /** Accept any certificate from this API's backends (self-signed test backends). Logged at WARN on every config load. */
  insecureSkipVerify: z.boolean().default(false),
}).strict().superRefine(pairRule);

export type ListenerTlsSettings = z.output<typeof listenerTlsSchema>;
export type UpstreamTlsSettings = z.output<typeof upstreamTlsSchema>;
export type BackendTlsSettings = z.output<typeof backendTlsSchema>;
