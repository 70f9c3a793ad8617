/**
 * The HTTPS listener of a worker: a `tls.Server` feeding the same HTTP/1.1 server as the plain
 * port (src/http1/server), with its certificates chosen by SNI. Secure contexts are built once
 * per certificate set (at start and when the primary sends new certificates), never per
 * handshake: SNICallback is a map lookup. New certificates apply to new handshakes; connections
 * already open keep the context they negotiated.
 */
import { Buffer } from 'node:buffer';
import { createServer as createTlsServer, createSecureContext, type SecureContext, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { HttpsMaterial } from '../../shared/protocol.js';
import { Http1Server } from '../../http1/server/http1-server.js';
import type { RequestHandler, ServerLimits } from '../../http1/server/server-shared.js';

/** Exact names first, then `*.rest` wildcards (one label, RFC 6125), then the first certificate. */
export class SniContexts {
  private constructor(
    readonly fallback: SecureContext,
    private readonly exact: Map<string, SecureContext>,
    private readonly wildcard: Map<string, SecureContext>,
  ) {}

  static build(material: HttpsMaterial): SniContexts {
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    const contexts = material.certificates.map((c) => createSecureContext({ cert: c.certPem, key: c.keyPem, minVersion: material.minVersion, ciphers: material.ciphers, ...clientTrust(material) }));
    material.certificates.forEach((c, i) => {
      // On a name two certificates share, the earlier one wins.
      for (const name of c.names) {
        if (name.startsWith('*.')) { if (!wildcard.has(name.slice(2))) wildcard.set(name.slice(2), contexts[i]); }
        else if (!exact.has(name)) exact.set(name, contexts[i]);
      }
    });
    return new SniContexts(contexts[0], exact, wildcard);
  }

  lookup(servername: string): SecureContext {
    const name = servername.toLowerCase();
    const hit = this.exact.get(name);
    if (hit !== undefined) return hit;
    const dot = name.indexOf('.');
    return (dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined) ?? this.fallback;
  }
}

export class HttpsListener {
  readonly http: Http1Server;
  private contexts: SniContexts;
  private tls: TlsServer | null = null;

  constructor(material: HttpsMaterial, handle: RequestHandler, limits: Partial<ServerLimits>, private readonly ticketKeys: Uint8Array) {
    this.contexts = SniContexts.build(material);
    this.http = new Http1Server(handle, limits, (accept: (socket: Socket) => void) => {
      this.tls = createTlsServer({
        ...defaultOptions(material),
        // Tickets sealed with one key in every worker: a client resumes whichever worker the kernel picks.
        ticketKeys: Buffer.from(ticketKeys),
        // A handshake must finish as fast as a request head must (slowloris over TLS).
        handshakeTimeout: limits.headTimeoutMs ?? 10_000,
        ALPNProtocols: ['http/1.1'],
        SNICallback: (servername, cb) => cb(null, this.contexts.lookup(servername)),
        noDelay: true,
        // Client certificates: asked for, never refused here (validate-client-certificate decides on trust).
        requestCert: (material.clientCertificate ?? 'none') !== 'none',
        rejectUnauthorized: false,
      }, material.clientCertificate === 'require' ? requireCertificate(accept) : accept);
      // A failed handshake (old protocol, unknown CA on the client side, a port scan) just closes.
      this.tls.on('tlsClientError', () => undefined);
      return this.tls;
    });
  }

  /** New certificates for new handshakes; throws (and keeps the old ones) if OpenSSL refuses them. */
  update(material: HttpsMaterial): void {
    const next = SniContexts.build(material);
    this.tls!.setSecureContext({ ...defaultOptions(material), ticketKeys: Buffer.from(this.ticketKeys) });
    this.contexts = next;
  }
}

/** The server's own context: used when the client sends no SNI. */
function defaultOptions(material: HttpsMaterial): { cert: string; key: string; minVersion: HttpsMaterial['minVersion']; ciphers?: string; ca?: string; crl?: string[] } {
  const first = material.certificates[0];
  return { cert: first.certPem, key: first.keyPem, minVersion: material.minVersion, ...(material.ciphers !== undefined ? { ciphers: material.ciphers } : {}), ...clientTrust(material) };
}

/** The CAs (and CRLs) client certificates are verified against; OpenSSL's verdict is socket.authorized. */
function clientTrust(material: HttpsMaterial): { ca?: string; crl?: string[] } {
  // One CRL per array element: given as one string, Node reads only its first CRL.
  const crl = material.clientCrlPem?.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? undefined;
  return { ...(material.clientCaPem !== undefined ? { ca: material.clientCaPem } : {}), ...(crl !== undefined ? { crl } : {}) };
}

/** clientCertificate "require": a connection that presented no certificate is closed before any request. */
function requireCertificate(accept: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) => {
    const cert = (socket as TLSSocket).getPeerCertificate();
    if (cert === null || Object.keys(cert).length === 0) { socket.destroy(); return; }
    accept(socket);
  };
}
