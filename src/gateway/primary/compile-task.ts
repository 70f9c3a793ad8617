/**
 * Runs inside a piscina thread: compiles a validated config into table bytes. Kept off the
 * primary's event loop so a large config never stalls health checks or config sync.
 * The bytes are transferred back (moved, not copied).
 */
import { move } from 'piscina';
import type { GatewayConfig } from '../../shared/config-schema.js';
import { compileTable } from '../router/compile-table.js';

export default function compile(config: GatewayConfig): Uint8Array {
  return move(compileTable(config)) as unknown as Uint8Array;
}
