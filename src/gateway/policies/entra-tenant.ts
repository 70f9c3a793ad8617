/**
 * Microsoft Entra ID for validate-azure-ad-token: which tenant a policy names, where that tenant's
 * OpenID configuration lives, which issuers its tokens may carry, and which client application a
 * token was issued to. Pure functions; the policy (validate-azure-ad-token.ts) wires them.
 *
 * The authority is Entra's public cloud, `https://login.microsoftonline.com`. The environment
 * variable OUTPOST_ENTRA_AUTHORITY replaces its origin, for tests and air-gapped sites that mirror
 * the configuration and keys (`{authority}/{tenant}/v2.0/.well-known/openid-configuration` must
 * answer there). It is read when the config is compiled, so a change needs a config reload.
 */

export const ENTRA_AUTHORITY_ENV = 'OUTPOST_ENTRA_AUTHORITY';
export const ENTRA_PUBLIC_AUTHORITY = 'https://login.microsoftonline.com';
/** v1 tokens (`ver: "1.0"`) are issued by the security token service under this origin. */
const V1_ISSUER_ORIGIN = 'https://sts.windows.net';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS name with at least one dot (a tenant's verified domain, e.g. contoso.onmicrosoft.com). */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Authorities that accept tokens of any tenant: their issuer is a template, not one tenant's. */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
/** `{origin}/{tenant GUID}/v2.0`, the issuer of a tenant's v2 configuration document. */
const V2_ISSUER = /^(.+)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0$/i;

/**
 * tenant-id as APIM takes it: a tenant GUID, a domain name, or an https URL of a domain
 * (`https://contoso.onmicrosoft.com`); lowercased. A string: the tenant; an object: why not.
 */
export function parseTenant(raw: string): string | { problem: string } {
  let tenant = raw.trim();
  if (/^https:\/\//i.test(tenant)) {
    if (!URL.canParse(tenant)) return { problem: `"${raw}" is not a valid URL` };
    const url = new URL(tenant);
    if (url.pathname !== '/' || url.search !== '' || url.port !== '') return { problem: `a tenant URL names only a host, got "${raw}"` };
    tenant = url.hostname;
  }
  tenant = tenant.toLowerCase();
  if (MULTI_TENANT.has(tenant)) return { problem: `"${tenant}" accepts tokens of every tenant; name one tenant (its ID or domain), or use validate-jwt with explicit issuers` };
  if (!GUID.test(tenant) && !DOMAIN.test(tenant)) return { problem: `must be a tenant ID (GUID), a domain name such as contoso.onmicrosoft.com, or an https URL of one; got "${raw.slice(0, 200)}"` };
  return tenant;
}

/** The authority origin (no trailing slash): the override when set, else the public cloud. */
export function entraAuthority(env: NodeJS.ProcessEnv = process.env): string | { problem: string } {
  const raw = env[ENTRA_AUTHORITY_ENV];
  if (raw === undefined || raw === '') return ENTRA_PUBLIC_AUTHORITY;
  if (!/^https?:\/\/[^\s]+$/.test(raw) || !URL.canParse(raw)) return { problem: `${ENTRA_AUTHORITY_ENV} must be an http(s) URL, got "${raw.slice(0, 200)}"` };
  const url = new URL(raw);
  if (url.search !== '' || url.hash !== '') return { problem: `${ENTRA_AUTHORITY_ENV} must not carry a query or fragment` };
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Where the tenant's v2 OpenID configuration document lives (it names jwks_uri and the issuer). */
export function openIdConfigurationUrl(authority: string, tenant: string): string {
  return `${authority}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`;
}

/**
 * The issuers a tenant's tokens may carry, from its configuration document's issuer
 * (`https://login.microsoftonline.com/{tid}/v2.0`): that v2 issuer as the document says it, and
 * the v1 issuer of the same tenant, `https://sts.windows.net/{tid}/` (Entra issues v1 tokens to
 * APIs whose registration asks for them, signed with the same keys). Empty when the document's
 * issuer is not a single tenant's v2 issuer, or names another tenant than a GUID tenant-id: no
 * token is accepted then.
 */
export function tenantIssuers(documentIssuer: string | null, tenant: string): string[] {
  if (documentIssuer === null) return [];
  const m = V2_ISSUER.exec(documentIssuer);
  if (m === null) return [];
  // A policy that names its tenant by GUID accepts only that tenant, whatever the document says.
  if (GUID.test(tenant) && m[2].toLowerCase() !== tenant.toLowerCase()) return [];
  return [documentIssuer, `${V1_ISSUER_ORIGIN}/${m[2].toLowerCase()}/`];
}

/** The client application a token was issued to: `azp` in v2 tokens, `appid` in v1 tokens. */
export function clientApplicationId(claims: Record<string, unknown>): string | null {
  if (typeof claims.azp === 'string') return claims.azp;
  if (typeof claims.appid === 'string') return claims.appid;
  return null;
}
