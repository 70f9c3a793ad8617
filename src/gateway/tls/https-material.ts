/**
 * The HTTPS listener's certificates, read and checked off the request path (the compiler thread at
 * config load, the primary thread on SIGHUP and file changes; workers get PEM text and never
 * touch the files): each certFile's chain in order, each key matching its leaf, the names
 * each certificate serves (for SNI), and a trial secure context with the configured minVersion
 * and ciphers, so anything OpenSSL would refuse is refused here, naming the file.
 */
import { createSecureContext } from 'node:tls';
import { createHash } from 'node:crypto';
import type { HttpsMaterial } from '../../shared/protocol.js';
import type { ListenerTlsSettings } from '../../shared/tls-config.js';
import { certificateNames, readCertificates, readCrl, readKeyPair, TlsFileProblem } from './pem-files.js';

/** What logs and readiness show about a served certificate (never the key). */
export interface CertificateSummary {
  certFile: string;
  names: string[];
  notAfter: string;
  sha256: string;
}

export interface LoadedHttps {
  material: HttpsMaterial;
  summary: CertificateSummary[];
  /** Hex SHA-256 of the material: the same files and settings give the same hash. */
  hash: string;
}

/** Throws TlsFileProblem naming the field and file of the first bad certificate or key. */
export async function loadHttpsMaterial(settings: ListenerTlsSettings): Promise<LoadedHttps> {
  const certificates: HttpsMaterial['certificates'] = [];
  const summary: CertificateSummary[] = [];
  for (let i = 0; i < settings.certificates.length; i++) {
    const { certFile, keyFile } = settings.certificates[i];
    const base = `gateway.tls.certificates[${i}]`;
    const pair = await readKeyPair(base, certFile, keyFile);
    try {
      createSecureContext({ cert: pair.certPem, key: pair.keyPem, minVersion: settings.minVersion, ciphers: settings.ciphers });
    } catch (err) {
      throw new TlsFileProblem(`${base}.certFile`, certFile, `OpenSSL refused the certificate or key (${(err as Error).message})`);
    }
    const names = certificateNames(pair.leaf);
    certificates.push({ certPem: pair.certPem, keyPem: pair.keyPem, names });
    summary.push({ certFile, names, notAfter: new Date(pair.leaf.validTo).toISOString(), sha256: pair.leaf.fingerprint256 });
  }
  const material: HttpsMaterial = { minVersion: settings.minVersion, ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}), certificates };
  if (settings.clientCertificate !== undefined && settings.clientCertificate !== 'none') material.clientCertificate = settings.clientCertificate;
  if (settings.clientCaFile !== undefined) material.clientCaPem = (await readCertificates('gateway.tls.clientCaFile', settings.clientCaFile)).pem;
  if (settings.clientCrlFile !== undefined) material.clientCrlPem = await readCrl('gateway.tls.clientCrlFile', settings.clientCrlFile);
  return { material, summary, hash: createHash('sha256').update(JSON.stringify(material)).digest('hex') };
}

/** Every file the listener reads, for the watcher. */
export function httpsFiles(settings: ListenerTlsSettings): string[] {
  const files = settings.certificates.flatMap((c) => [c.certFile, c.keyFile]);
  if (settings.clientCaFile !== undefined) files.push(settings.clientCaFile);
  if (settings.clientCrlFile !== undefined) files.push(settings.clientCrlFile);
  return files;
}
