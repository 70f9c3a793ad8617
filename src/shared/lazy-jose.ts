/**
 * jose, loaded on first use: only validate-jwt and validate-azure-ad-token need it, at request
 * time, but importing it with them cost every worker and every compiler thread about 80 ms of
 * start-up (a fresh import here), and the compiler thread starts on each reload once it has gone
 * idle. A worker starts the import as soon as it installs a generation that checks tokens
 * (warmJose), so the first token it checks does not wait for it.
 */
type Jose = typeof import('jose');

let loading: Promise<Jose> | null = null;

export function jose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}

/** The policies that check tokens with jose. */
const JOSE_POLICIES: ReadonlySet<string> = new Set(['validate-jwt', 'validate-azure-ad-token']);

/** Starts loading jose when any of `policies` (a generation's compiled policies) checks tokens. */
export function warmJose(policies: readonly { name: string }[]): Promise<Jose> | null {
  return policies.some((p) => JOSE_POLICIES.has(p.name)) ? jose() : null;
}
