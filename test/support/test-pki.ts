/**
 * A throwaway PKI made with the openssl CLI for TLS tests: a root CA, an intermediate it signed,
 * and leaf certificates the intermediate signs (EC P-256 keys: fast). A leaf's certFile holds the
 * leaf then the intermediate, as a server should serve it; only the root is trusted by clients.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { testTempDir } from './temp-dir.js';

export const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

export interface Leaf {
  /** Leaf + intermediate, PEM. */
  certFile: string;
  keyFile: string;
  /** SHA-256 fingerprint of the leaf, as X509Certificate and TLSSocket report it. */
  fingerprint: string;
}

export class TestPki {
  readonly dir: string;
  readonly rootFile: string;
  private serial = 0;

  constructor(readonly name: string) {
    this.dir = testTempDir(`outpost-pki-${name}-`);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    this.openssl('req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-days', '2', '-subj', `/CN=${name} Root CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    this.openssl('req', ...ec, '-keyout', 'int.key', '-out', 'int.csr', '-subj', `/CN=${name} Intermediate CA`);
    writeFileSync(join(this.dir, 'int.cnf'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
    this.openssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '2', '-extfile', 'int.cnf');
    this.rootFile = join(this.dir, 'root.pem');
  }

  get rootPem(): string { return readFileSync(this.rootFile, 'utf8'); }

  /** A leaf for `dnsNames` (SAN; none = CN only) valid for server and client auth, written as `<base>.pem` / `<base>.key`. */
  issue(base: string, cn: string, dnsNames: string[], ips: string[] = []): Leaf {
    const id = `${base}-${++this.serial}`;
    this.openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${cn}`);
    const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)];
    writeFileSync(join(this.dir, `${id}.cnf`), `${san.length > 0 ? `subjectAltName=${san.join(',')}\n` : ''}extendedKeyUsage=serverAuth,clientAuth\n`);
    this.openssl('x509', '-req', '-in', `${id}.csr`, '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-out', `${id}.leaf.pem`, '-days', '2', '-extfile', `${id}.cnf`);
    const leaf = readFileSync(join(this.dir, `${id}.leaf.pem`), 'utf8');
    const chain = leaf + readFileSync(join(this.dir, 'int.pem'), 'utf8');
    writeFileSync(join(this.dir, `${id}.pem`), chain);
    return { certFile: join(this.dir, `${id}.pem`), keyFile: join(this.dir, `${id}.key`), fingerprint: new X509Certificate(leaf).fingerprint256 };
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** Puts `from`'s bytes at `to` the way editors and kubectl do: a temp file renamed over it. */
export function replaceFile(to: string, from: string): void {
  const tmp = `${to}.tmp-${process.pid}`;
  writeFileSync(tmp, readFileSync(from));
  renameSync(tmp, to);
}
