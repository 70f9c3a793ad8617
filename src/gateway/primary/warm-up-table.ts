/**
 * The table of the workers' warm-up (src/gateway/worker/warm-up.ts): one API under the warm-up
 * prefix with the gateway's own settings, so requests take the paths real ones take (limits,
 * forwarding headers, telemetry and request-log recording), and nothing else: no policies, no
 * products or subscriptions, no HTTPS listener. Its backend URL names a host that cannot resolve
 * (`.invalid`, RFC 6761): the workers' warm-up pools connect to their own loopback backend
 * instead, and should that ever not happen, the request fails rather than reaching anyone.
 */
import { validateGatewayConfig, type GatewayConfig, type GatewaySettings } from '../../shared/config-schema.js';
import { OutpostError } from '../../shared/errors.js';
import { WARM_UP_PREFIX } from '../../shared/protocol.js';

export function warmUpConfig(settings: GatewaySettings): GatewayConfig {
  const result = validateGatewayConfig({
    apis: [{
      id: 'outpost-warm-up', name: 'Outpost warm-up', path: WARM_UP_PREFIX.slice(1), serviceUrl: 'http://outpost-warm-up.invalid', subscriptionRequired: false,
      operations: [{ id: 'get-item', method: 'GET', urlTemplate: '/items/{id}' }],
    }],
  });
  if (!result.ok) throw new OutpostError('OUTPOST_ERR_INTERNAL', 'the warm-up config does not validate');
  const { tls: _listener, ...rest } = settings;
  return { ...result.config, gateway: rest };
}
