/** The check every bench makes of a target before loading it (run.ts, ab.ts). */
import { BACKEND_BODY } from './nginx.js';
import { httpGet } from './proc.js';
import type { Target } from './targets.js';

/** A proxy that answers fast without proxying would win; it must return the backend's exact body. */
export async function probeTarget(t: Target): Promise<void> {
  const r = await httpGet(t.url, 2_000, t.headers);
  if (r.status !== 200 || r.body !== BACKEND_BODY) throw new Error(`${t.name} answered ${r.status} "${r.body.slice(0, 200)}" instead of the backend's body`);
  if (t.headers) {
    // The policy scenario must really check the key: without it the gateway must refuse.
    const bare = await httpGet(t.url, 2_000);
    if (bare.status !== 401) throw new Error(`${t.name} answered ${bare.status} without the subscription key (expected 401): policies not active`);
  }
}
