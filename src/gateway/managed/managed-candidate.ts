/**
 * Turns what the control plane sent (or what the backup holds) into a config candidate, through
 * the same validation as a local file, so problems carry the same field paths.
 *
 * The control plane sends `{ apis, products, subscriptions, namedValues, fragments, backends }` (and maybe global
 * `policies`). The `gateway` section (ports, workers, limits) is the node's own business: it is
 * never taken from the control plane, so one bad push cannot move a fleet's ports.
 */
import { createHash } from 'node:crypto';
import { validateGatewayConfig } from '../../shared/config-schema.js';
import type { ConfigCandidate } from '../primary/config-source.js';

export function managedCandidate(config: unknown, trigger: 'control-plane' | 'backup' | 'startup', origin: Record<string, unknown>): ConfigCandidate {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return { trigger, result: { ok: false, problems: [{ path: '', message: 'config must be an object' }], sourceHash: null }, skipIfUnchanged: false, origin };
  }
  const { gateway: _ignored, ...management } = config as Record<string, unknown>;
  // Hash what is served, not the envelope: a revision bump for another gateway changes nothing here.
  const sourceHash = createHash('sha256').update(JSON.stringify(management)).digest('hex');
  const result = validateGatewayConfig({ ...management, gateway: {} });
  return {
    trigger,
    result: result.ok ? { ok: true, config: result.config, sourceHash } : { ok: false, problems: result.problems, sourceHash },
    skipIfUnchanged: trigger === 'control-plane',
    origin,
  };
}
