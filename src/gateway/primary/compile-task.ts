/**
 * Runs inside a piscina thread: compiles a validated config into table bytes. Kept off the
 * primary's event loop so a large config never stalls health checks or config sync.
 * The bytes are transferred back (moved, not copied).
 */
import { move } from 'piscina';
import type { GatewayConfig } from '../../shared/config-schema.js';
import { compileTable, ConfigCompileError } from '../router/compile-table.js';
import type { ConfigProblem } from '../../shared/config-schema.js';
import type { BackendTlsAssignment } from '../../shared/compiled-meta.js';

/** The config and the backend TLS files the primary read for it. */
export interface CompileInput { config: GatewayConfig; backendTls: BackendTlsAssignment }

export type CompileOutcome = Uint8Array | { problems: ConfigProblem[] };

export default function compile({ config, backendTls }: CompileInput): CompileOutcome {
  try {
    return move(compileTable(config, backendTls)) as unknown as Uint8Array;
  } catch (err) {
    if (err instanceof ConfigCompileError) return { problems: err.problems };
    throw err;
  }
}
