/**
 * The deployment section, as APIM's self-hosted gateway page has it: an env.conf with a fresh
 * token, the `docker run` command and the systemd steps. The endpoint written into env.conf is the
 * URL the browser reached the control plane at (its Host header), since that is the address an
 * operator can reach it at, unless OUTPOST_PUBLIC_URL names it (behind a proxy or TLS terminator).
 */
import type { IncomingMessage } from 'node:http';
import { MAX_TOKEN_LIFETIME_MS, signGatewayToken } from '../gateway-token.js';

/** Host names, IPv4 and bracketed IPv6, with an optional port: nothing that could break a line. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export const DEFAULT_IMAGE = 'outpost-gateway:latest';

export function publicBaseUrl(req: IncomingMessage, configured: string | undefined): string | undefined {
  if (configured) return configured.replace(/\/+$/, '');
  const host = req.headers.host;
  return host && HOST.test(host) ? `http://${host}` : undefined;
}

/** env.conf with a token signed by the primary key, valid for the longest lifetime allowed. */
export function envConf(gatewayId: string, primaryKey: string, baseUrl: string, now = Date.now()): { text: string; expiresAt: Date } {
  // A minute under the maximum: the control plane floors to the minute and refuses > 30 days.
  const expiresAt = new Date(now + MAX_TOKEN_LIFETIME_MS - 60_000);
  expiresAt.setUTCSeconds(0, 0);
  const text = [
    `# Outpost gateway "${gatewayId}": token valid until ${expiresAt.toISOString()}`,
    `config.service.endpoint=${baseUrl}`,
    `config.service.auth=${signGatewayToken(gatewayId, expiresAt, primaryKey)}`,
    '',
  ].join('\n');
  return { text, expiresAt };
}

export function dockerCommand(image: string): string {
  return `docker run -d -p 80:8080 -p 443:8081 --env-file env.conf ${image}`;
}

/**
 * The shipped unit runs with `--config` and DynamicUser; a drop-in switches it to managed mode.
 * The env file stays unreadable to others: the dynamic user reads it through a static group, so
 * a new token dropped into the file is picked up by `systemctl reload` (SIGHUP) with no restart.
 */
export function systemdSteps(): string {
  return [
    'sudo groupadd --system --force outpost',
    'sudo install -d -m 0755 /etc/outpost',
    'sudo install -m 0640 -g outpost env.conf /etc/outpost/outpost.env',
    'sudo install -m 0644 /opt/outpost/config/systemd/outpost-gateway.service /etc/systemd/system/',
    'sudo install -d /etc/systemd/system/outpost-gateway.service.d',
    "printf '%s\\n' '[Service]' 'SupplementaryGroups=outpost' 'ExecStart=' \\",
    "  'ExecStart=/usr/bin/env node /opt/outpost/dist/src/cli.js gateway --env-file /etc/outpost/outpost.env --backup-dir /var/lib/outpost' \\",
    '  | sudo tee /etc/systemd/system/outpost-gateway.service.d/managed.conf >/dev/null',
    'sudo systemctl daemon-reload',
    'sudo systemctl enable --now outpost-gateway',
  ].join('\n');
}
