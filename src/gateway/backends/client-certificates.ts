/**
 * Client certificates for authentication-certificate (`certificates: [{ id, certFile, keyFile }]`):
 * read and checked when the table is compiled (in the compiler thread, like validate-jwt's
 * jwks-file; read again at every reload, not watched), so a worker never touches the files. A
 * file that cannot be read, a certificate or key that does not parse, or a key that does not
 * belong to the certificate is a problem at the field's path. A relative path is relative to the
 * gateway's working directory.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { ClientCertificate } from '../upstream/upstream-pool.js';

/** PEM files larger than this are not certificates. */
const MAX_PEM_BYTES = 256 * 1024;

function readPem(path: string, field: string, problems: ConfigProblem[]): string | null {
  try {
    const text = readFileSync(path);
    if (text.length > MAX_PEM_BYTES) { problems.push({ path: field, message: `is larger than ${MAX_PEM_BYTES} bytes` }); return null; }
    return text.toString('utf8');
  } catch (err) {
    problems.push({ path: field, message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return null;
  }
}

/** APIM's certificate thumbprint: the SHA-1 of the certificate's DER as uppercase hex, no separators. */
export function thumbprintOf(x509: X509Certificate): string {
  return x509.fingerprint.replace(/:/g, '').toUpperCase();
}

/**
 * Thumbprint → certificate id of every declared certificate, read from the certFiles alone (no key
 * needed); null when a file cannot be read here (a control plane validating a config whose files
 * live on the gateway nodes): thumbprints are then checked where the gateway compiles the config.
 */
export function readThumbprints(config: GatewayConfig): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const c of config.certificates) {
    try {
      const text = readFileSync(c.certFile);
      if (text.length > MAX_PEM_BYTES) return null;
      out.set(thumbprintOf(new X509Certificate(text)), c.id);
    } catch {
      return null;
    }
  }
  return out;
}

export function compileCertificates(config: GatewayConfig, problems: ConfigProblem[]): ClientCertificate[] {
  const out: ClientCertificate[] = [];
  config.certificates.forEach((c, i) => {
    const cert = readPem(c.certFile, `certificates[${i}].certFile`, problems);
    const key = readPem(c.keyFile, `certificates[${i}].keyFile`, problems);
    if (cert === null || key === null) return;
    let x509: X509Certificate;
    try { x509 = new X509Certificate(cert); } catch { problems.push({ path: `certificates[${i}].certFile`, message: 'is not a PEM certificate' }); return; }
    try {
      // The message never quotes the key file's content.
      if (!x509.checkPrivateKey(createPrivateKey(key))) { problems.push({ path: `certificates[${i}].keyFile`, message: 'is not the private key of certFile' }); return; }
    } catch {
      problems.push({ path: `certificates[${i}].keyFile`, message: 'is not an unencrypted PEM private key' });
      return;
    }
    out.push({
      id: c.id, cert, key, fingerprint: createHash('sha256').update(cert).update('\u0000').update(key).digest('hex').slice(0, 32),
      thumbprint: thumbprintOf(x509),
    });
  });
  return out;
}
