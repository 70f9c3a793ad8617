/** The text of `outpost help`. Exit codes and variables are the ones in exit-codes.ts and gateway-options.ts. */
import { EXIT } from './exit-codes.js';
import { DEFAULT_DEMO_PORT, MAX_WARMUP_REQUESTS, MAX_WORKERS } from './gateway-options.js';

export const HELP = `Usage: outpost <command> [options]

Commands:
  gateway     Run the gateway (data plane).
      --config FILE        gateway config (YAML): standalone mode; default config/gateway.yaml
                           unless a control-plane endpoint is set (managed mode)
      --env-file FILE      managed-mode settings, KEY=VALUE lines (APIM's env.conf):
                           config.service.endpoint, config.service.auth, OUTPOST_BACKUP_DIR, ...
      --backup-dir DIR     managed mode: where the last good config is backed up
      --port N             API port, 0-65535 (overrides gateway.port; default 8080; 0 = any free port)
      --https-port N       HTTPS port, 0-65535 (overrides gateway.tls.port; default 8081; only with gateway.tls)
      --ops-port N         ops listener port, 0-65535: /health/live, /health/ready, /metrics (default 9090)
      --workers N          request worker threads, 0-${MAX_WORKERS} (0 = one per core, the default)
      --warmup-requests N  requests each worker sends through itself before it listens, 0-${MAX_WARMUP_REQUESTS}
                           (overrides gateway.warmupRequests; default 10000; 0 = none)
      --demo-backend[=N]   also start the demo echo backend on 127.0.0.1:N (default ${DEFAULT_DEMO_PORT});
                           given twice, the last one wins
    Environment (a flag wins over its variable, a variable over the config file):
      OUTPOST_CONFIG, OUTPOST_PORT, OUTPOST_HTTPS_PORT, OUTPOST_OPS_PORT, OUTPOST_WORKERS, OUTPOST_WARMUP_REQUESTS;
      OUTPOST_LOG_LEVEL;
      OUTPOST_REDIS_URL (redis:// or rediss://, replaces gateway.redis.url; no flag)
  validate FILE   Check a config file; print each problem with its field path; exit ${EXIT.config} if any.
  control-plane   Run the control plane (management API, gateway config, heartbeats).
      --port N             listen port (default 7070; 0 picks a free port)
      --host ADDR          listen address (default 127.0.0.1, or OUTPOST_CONTROL_PLANE_HOST;
                           0.0.0.0 for every interface)
      --data DIR           SQLite data directory (default ./outpost-data)
      --analytics-retention-days N
                           keep uploaded telemetry N days, 1-366 (default 7, or OUTPOST_ANALYTICS_RETENTION_DAYS)
      admin token: OUTPOST_ADMIN_TOKEN or OUTPOST_ADMIN_TOKEN_FILE (required)
  version         Print the version (also --version).
  help            Show this text.

Exit codes: ${EXIT.ok} ok; ${EXIT.config} config invalid or unreadable; ${EXIT.usage} usage (unknown command or flag,
bad flag or variable value); ${EXIT.runtime} runtime failure (port in use, workers cannot start, anything else).

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config (so does saving the file);
in managed mode SIGHUP re-reads the env file (a new token without a restart).
`;
