/**
 * A forwarding proxy in front of the real control plane, for the two managed-mode cases the
 * control plane cannot produce itself: a config it would refuse, and https with a private CA.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * In front of the real control plane: forwards every request (token checks, heartbeats, config
 * reports all stay real) except that a 200 from GET /gateway/config has its `config` replaced
 * by `override` when one is set. The only way to hand a gateway a config the control plane
 * itself would never accept. With `tls`, it serves https (the private-CA test), still plain http
 * to the control plane behind it.
 */
export class ControlPlaneProxy {
  override: object | null = null;
  private server: Server | null = null;
  port = 0;

  constructor(private readonly upstream: string, private readonly tls?: { key: string; cert: string }) {}

  /** `host` matters with tls: it must be a name the certificate covers. */
  url(host = '127.0.0.1'): string { return `${this.tls ? 'https' : 'http'}://${host}:${this.port}`; }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.forward(req, res).catch(() => res.destroy());
    this.server = this.tls ? createHttpsServer(this.tls, handler) : createServer(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'if-none-match', 'accept']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const up = await request(this.upstream + (req.url ?? '/'), {
      method: req.method as 'GET' | 'POST', headers, body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    let body = Buffer.from(await up.body.arrayBuffer());
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'etag', 'x-outpost-error']) {
      const v = up.headers[name];
      if (typeof v === 'string') out[name] = v;
    }
    if (this.override && up.statusCode === 200 && (req.url ?? '').startsWith('/gateway/config')) {
      const parsed = JSON.parse(body.toString()) as { revision: number };
      body = Buffer.from(JSON.stringify({ revision: parsed.revision, config: this.override }));
    }
    res.writeHead(up.statusCode, { ...out, 'content-length': String(body.length) });
    res.end(body);
  }
}
