/**
 * Reads and checks the PEM files a config names (listener certificates, backend CA bundles and
 * client certificates), never in a request worker. Every problem is a config problem that names the field
 * and the file (`gateway.tls.certificates[0].keyFile: /etc/outpost/a.key: the key does not match
 * the certificate in /etc/outpost/a.pem`), so startup refuses it and a reload keeps what runs.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { ConfigProblem } from '../../shared/config-schema.js';

/** A file larger than this is not a certificate chain or a CA bundle anyone meant to use. */
const MAX_PEM_BYTES = 4 * 1024 * 1024;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class TlsFileProblem extends Error {
  constructor(readonly path: string, readonly file: string, why: string) {
    super(`${file}: ${why}`);
  }

  toProblem(): ConfigProblem {
    return { path: this.path, code: 'OUTPOST_ERR_TLS_FILE_INVALID', message: this.message };
  }
}

async function readText(path: string, file: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TlsFileProblem(path, file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (err as Error).message})`);
  }
  if (buf.length > MAX_PEM_BYTES) throw new TlsFileProblem(path, file, `larger than ${MAX_PEM_BYTES} bytes`);
  return buf.toString('utf8');
}

/** Every certificate of a PEM file, in file order; at least one. */
export async function readCertificates(path: string, file: string): Promise<{ pem: string; certs: X509Certificate[] }> {
  const text = await readText(path, file);
  const blocks = text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new TlsFileProblem(path, file, 'no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
  const certs = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsFileProblem(path, file, `certificate ${i + 1} is not valid (${(err as Error).message})`);
    }
  });
  return { pem: blocks.join('\n') + '\n', certs };
}

/** A PEM CRL file (X509 CRL blocks) OpenSSL accepts. */
export async function readCrl(path: string, file: string): Promise<string> {
  const text = await readText(path, file);
  const blocks = text.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? [];
  if (blocks.length === 0) throw new TlsFileProblem(path, file, 'no PEM CRL (-----BEGIN X509 CRL-----) in it');
  const pem = blocks.join('\n') + '\n';
  try {
    createSecureContext({ crl: blocks });
  } catch (err) {
    throw new TlsFileProblem(path, file, `OpenSSL refused the CRL (${(err as Error).message})`);
  }
  return pem;
}

export interface KeyPair {
  /** The chain as served: leaf first, then intermediates. */
  certPem: string;
  keyPem: string;
  leaf: X509Certificate;
}

/** A certificate chain and its private key: the chain in order, the key matching the leaf. */
export async function readKeyPair(base: string, certFile: string, keyFile: string): Promise<KeyPair> {
  const { pem: certPem, certs } = await readCertificates(`${base}.certFile`, certFile);
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].checkIssued(certs[i + 1])) {
      throw new TlsFileProblem(`${base}.certFile`, certFile, `certificate ${i + 2} did not issue certificate ${i + 1}: the file must hold the leaf first, then each issuer in turn`);
    }
  }
  const keyPem = await readText(`${base}.keyFile`, keyFile);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new TlsFileProblem(`${base}.keyFile`, keyFile, `not a PEM private key, or an encrypted one (${(err as Error).message})`);
  }
  if (!certs[0].checkPrivateKey(key)) {
    throw new TlsFileProblem(`${base}.keyFile`, keyFile, `the key does not match the certificate in ${certFile}`);
  }
  return { certPem, keyPem, leaf: certs[0] };
}

/**
 * The DNS names a certificate serves, lower-cased: its SAN DNS entries, or its subject CN when
 * it has no SAN DNS entry (RFC 6125: CN only as a fallback).
 */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const m of (cert.subjectAltName ?? '').matchAll(/(?:^|, )DNS:([^,\s]+)/g)) names.push(m[1].toLowerCase());
  if (names.length > 0) return names;
  const cn = /^CN=(.+)$/m.exec(cert.subject)?.[1];
  return cn !== undefined ? [cn.trim().toLowerCase()] : [];
}
