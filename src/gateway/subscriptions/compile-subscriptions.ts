/**
 * Subscriptions as the compiled table carries them: keys only as SHA-256 hashes (a config may
 * hold plain keys or `sha256:` hashes; the table, the workers and the logs never see plain keys).
 */
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../../shared/config-schema.js';
import type { CompiledSubscription } from '../../shared/compiled-meta.js';

export function keyHash(key: string): string {
  return key.startsWith('sha256:') ? key.slice(7) : createHash('sha256').update(key, 'utf8').digest('hex');
}

type SubscriptionKeys = Pick<GatewayConfig['subscriptions'][number], 'primaryKey' | 'primaryKeyHash' | 'secondaryKey' | 'secondaryKeyHash'>;

/** The subscription's key hashes (hex), primary first, whichever form each key was given in. */
export function subscriptionKeyHashes(s: SubscriptionKeys): string[] {
  return [s.primaryKey ?? s.primaryKeyHash, s.secondaryKey ?? s.secondaryKeyHash].filter((k): k is string => k !== undefined).map(keyHash);
}

export function compileSubscriptions(config: GatewayConfig): CompiledSubscription[] {
  return config.subscriptions.map((s) => {
    const [, kind, target = null] = s.scope.split('/');
    return {
      id: s.id,
      scope: kind === 'products' ? 'product' : target === null ? 'all' : 'api',
      target,
      suspended: s.state === 'suspended',
      expiresAtMs: s.expiresAt ? Date.parse(s.expiresAt) : 0,
      keyHashes: subscriptionKeyHashes(s),
    };
  });
}
