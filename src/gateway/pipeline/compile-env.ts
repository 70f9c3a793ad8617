/**
 * What a policy's compile step may know about the rest of the config (today: the backend ids,
 * so `<set-backend-service backend-id="x"/>` with an unknown constant id is a compile error, and
 * the certificate ids and thumbprints for authentication-certificate).
 * compilePolicies sets it around the whole (synchronous) compilation; factories read it. Outside
 * a compilation (a policy compiled alone, in a unit test) it is null and references go unchecked.
 */
export interface CompileEnv {
  backendIds: ReadonlySet<string>;
  certificateIds: ReadonlySet<string>;
  /**
   * SHA-1 thumbprint (uppercase hex) → id of every declared certificate, for authentication-certificate
   * thumbprint; null when the certificate files could not be read where this compilation runs.
   */
  certificateThumbprints: ReadonlyMap<string, string> | null;
  /** JSON schema documents by id (config `schemas`), for validate-content schema-id. */
  schemas?: ReadonlyMap<string, Record<string, unknown>>;
}

let current: CompileEnv | null = null;

export function compileEnv(): CompileEnv | null {
  return current;
}

export function withCompileEnv<T>(env: CompileEnv, compile: () => T): T {
  const previous = current;
  current = env;
  try {
    return compile();
  } finally {
    current = previous;
  }
}
