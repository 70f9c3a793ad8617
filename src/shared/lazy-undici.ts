/**
 * undici's `request`, loaded on first use. Policies that fetch (OpenID metadata, JWKS, token
 * endpoints) do so rarely, but importing undici with them cost every worker and every compiler
 * thread about 100 ms of start-up (measured with --cpu-prof on the compiler thread's imports), on
 * each reload after the compiler thread had gone idle.
 */
type Undici = typeof import('undici');

let loading: Promise<Undici> | null = null;

export async function undiciRequest(...args: Parameters<Undici['request']>): ReturnType<Undici['request']> {
  loading ??= import('undici');
  const { request } = await loading;
  return request(...args);
}
