/**
 * validate-azure-ad-token (inbound): APIM's validate-jwt for tokens issued by Microsoft Entra ID.
 *
 *   <validate-azure-ad-token tenant-id="contoso.onmicrosoft.com | GUID | https://contoso.onmicrosoft.com"
 *       header-name="Authorization" | query-parameter-name="…" | token-value="@(…)"
 *       failed-validation-httpcode="401" failed-validation-error-message="…" output-token-variable-name="jwt">
 *     <client-application-ids><application-id>…</application-id></client-application-ids>
 *     <backend-application-ids><application-id>…</application-id></backend-application-ids>
 *     <audiences><audience>…</audience></audiences>
 *     <required-claims><claim name="roles" match="any" separator=","><value>…</value></claim></required-claims>
 *   </validate-azure-ad-token>
 *
 * The keys come from the tenant's OpenID configuration (entra-tenant.ts; the same cached,
 * rate-limited source as validate-jwt's openid-config). A token passes when its signature (RS256,
 * as Entra signs), exp and nbf hold (no clock skew), its issuer is the tenant's v2 issuer as the
 * configuration document names it or the tenant's v1 issuer (`https://sts.windows.net/{tid}/`),
 * its `aud` is one of the audiences or backend application IDs (when any are given), its `azp`
 * (v2) or `appid` (v1) is one of the client application IDs (when any are given), and the
 * required claims are met. The header (Authorization by default) carries `Bearer <token>`; another
 * header carries the bare token, as APIM documents; token-value is an expression giving the bare token.
 *
 * Refused with the reason (never skipped): tenant-id, audiences or claim values as expressions,
 * multi-tenant authorities (common, organizations, consumers), authentication-endpoint (other
 * clouds), <decryption-keys>, and a policy with none of client-application-ids, audiences and
 * backend-application-ids (every token of the tenant would pass).
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { childLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ErrorCode } from '../../shared/errors.js';
import { bindTemplate, type Template } from '../pipeline/expression/index.js';
import { parseJwt } from '../pipeline/expression/csharp/cs-strings.js';
import { allowOnly, headerName, intAttr, optionalVariableName, stringAttr, templateValue } from './attributes.js';
import { requiredClaim, texts } from './validate-jwt.js';
import { openIdSource } from './validate-jwt-openid.js';
import { checkToken, findToken, type ValidateJwtConfig, type Verifier } from './validate-jwt-verify.js';
import { clientApplicationId, entraAuthority, openIdConfigurationUrl, parseTenant, tenantIssuers } from './entra-tenant.js';

const ATTRS = ['tenant-id', 'header-name', 'query-parameter-name', 'token-value', 'failed-validation-httpcode',
  'failed-validation-error-message', 'output-token-variable-name'];
const CHILDREN = ['client-application-ids', 'backend-application-ids', 'audiences', 'required-claims'];
/** APIM's message when no token was sent; other failures get validate-jwt's message. */
const MISSING_MESSAGE = 'JWT not present.';
const INVALID_MESSAGE = 'Unauthorized. Access token is missing or invalid.';
/** Entra rotates keys every few weeks; the source refetches sooner on an unknown kid. */
const REFRESH_SEC = 3600;
const MAX_IDS = 64;

export interface AzureAdTokenConfig {
  /** The tenant as tenant-id names it (GUID or domain, lowercase). */
  tenant: string;
  /** The token checks shared with validate-jwt (keys from openIdUrls; issuers checked here, after). */
  jwt: ValidateJwtConfig;
  /** token-value: an expression giving the bare token, or null to read header/query. */
  tokenValue: Template | null;
  clientIds: string[];
  /** Used when the message was not configured and no token was sent. */
  missingMessage: string;
  outputVariable: string | null;
}

function compile(el: PolicyElement, at: PolicyLocation): AzureAdTokenConfig {
  if ('authentication-endpoint' in el.attrs) throw new PolicyCompileError(at, 'authentication-endpoint', 'is not supported: Outpost validates tokens of the Entra public cloud (set OUTPOST_ENTRA_AUTHORITY to use a mirror)');
  if (el.children.some((c) => c.name === 'decryption-keys')) throw new PolicyCompileError(at, null, '<decryption-keys> is not supported (encrypted tokens are not accepted)');
  allowOnly(el, at, ATTRS, CHILDREN);

  const rawTenant = stringAttr(el, at, 'tenant-id');
  if (/@[({]/.test(rawTenant)) throw new PolicyCompileError(at, 'tenant-id', 'must be a constant (a named value is fine): the tenant\'s keys are fetched per policy, not per request');
  const tenant = parseTenant(rawTenant);
  if (typeof tenant !== 'string') throw new PolicyCompileError(at, 'tenant-id', tenant.problem);
  const authority = entraAuthority();
  if (typeof authority !== 'string') throw new PolicyCompileError(at, 'tenant-id', authority.problem);

  const sources = ['header-name', 'query-parameter-name', 'token-value'].filter((a) => el.attrs[a] !== undefined);
  if (sources.length > 1) throw new PolicyCompileError(at, sources[1], `give one of header-name, query-parameter-name or token-value, not ${sources.join(' and ')}`);
  const fromQuery = el.attrs['query-parameter-name'] !== undefined;
  const tokenValue = el.attrs['token-value'] !== undefined ? templateValue(at, 'token-value', stringAttr(el, at, 'token-value')) : null;
  const header = fromQuery || tokenValue !== null ? null : (el.attrs['header-name'] === undefined ? 'authorization' : headerName(el, at, 'header-name'));
  const configured = el.attrs['failed-validation-error-message'];

  const clientIds: string[] = [];
  const audiences: string[] = [];
  const jwt: ValidateJwtConfig = {
    headerName: header,
    // APIM: Authorization carries "Bearer <token>"; a custom header carries the bare token.
    scheme: header === 'authorization' ? 'Bearer' : null,
    queryName: fromQuery ? stringAttr(el, at, 'query-parameter-name') : null,
    status: intAttr(el, at, 'failed-validation-httpcode', { min: 400, max: 599 }, 401),
    message: configured || INVALID_MESSAGE,
    requireExp: true, clockSkewSec: 0,
    audiences, issuers: [], claims: [], keys: [],
    openIdUrls: [openIdConfigurationUrl(authority, tenant)], refreshSec: REFRESH_SEC,
    // The Jwt goes into the variable here, after the Entra checks (not in the shared checks).
    outputVariable: null,
  };
  el.children.forEach((child, i) => {
    const cat = childLocation(at, child.name, i);
    switch (child.name) {
      case 'client-application-ids': clientIds.push(...texts(child, cat, 'application-id')); break;
      // The backend application is the API the token was issued for: its ID is the token's aud.
      case 'backend-application-ids': audiences.push(...texts(child, cat, 'application-id')); break;
      case 'audiences': audiences.push(...texts(child, cat, 'audience')); break;
      case 'required-claims': child.children.forEach((c, j) => jwt.claims.push(requiredClaim(c, childLocation(cat, c.name, j)))); break;
    }
  });
  if (clientIds.length === 0 && audiences.length === 0) {
    throw new PolicyCompileError(at, null, 'needs <client-application-ids>, <audiences> or <backend-application-ids>: without them any token of the tenant would pass');
  }
  if (clientIds.length > MAX_IDS || audiences.length > MAX_IDS) throw new PolicyCompileError(at, null, `at most ${MAX_IDS} application IDs and ${MAX_IDS} audiences`);

  const outputVariable = optionalVariableName(el, at, 'output-token-variable-name');
  return { tenant, jwt, tokenValue, clientIds, missingMessage: configured || MISSING_MESSAGE, outputVariable };
}

export const validateAzureAdToken: PolicyFactory<AzureAdTokenConfig> = {
  name: 'validate-azure-ad-token',
  sections: ['inbound'],
  compile,
  create(config, services): PolicyInstance {
    const source = openIdSource(config.jwt.openIdUrls[0], config.jwt.refreshSec * 1000, services.now);
    const verifier: Verifier = { config: config.jwt, inline: [], sources: [source] };
    const tokenValue = config.tokenValue === null ? null : bindTemplate(config.tokenValue);
    const status = config.jwt.status;
    const invalidBody = JSON.stringify({ statusCode: status, message: config.jwt.message });
    const missingBody = JSON.stringify({ statusCode: status, message: config.missingMessage });
    const clientIds = new Set(config.clientIds);
    // The issuers follow the configuration document, which the source may refetch: derived once per issuer text.
    let issuersFor: string | null = null;
    let issuers: string[] = [];

    const reject = (ctx: RequestContext, code: ErrorCode): Outcome => {
      const missing = code === 'OUTPOST_ERR_JWT_MISSING';
      const headers = ['content-type', 'application/json', 'x-outpost-error', code];
      // RFC 6750 §3: no error code when no token was sent.
      if (status === 401) headers.push('www-authenticate', missing ? 'Bearer' : 'Bearer error="invalid_token"');
      ctx.respond(status, '', headers, missing ? missingBody : invalidBody);
      return RESPOND;
    };
    const issuerAccepted = (iss: unknown): boolean => {
      if (source.issuer !== issuersFor) { issuersFor = source.issuer; issuers = tenantIssuers(issuersFor, config.tenant); }
      return typeof iss === 'string' && issuers.includes(iss);
    };

    return {
      async run(ctx: RequestContext): Promise<Outcome> {
        let token: ReturnType<typeof findToken>;
        if (tokenValue === null) token = findToken(config.jwt, (n) => ctx.header(n), ctx.query);
        else {
          const value = tokenValue(ctx);
          token = typeof value === 'string' && value.trim() !== '' ? value.trim() : { ok: false, code: 'OUTPOST_ERR_JWT_MISSING', reason: 'ERR_NO_TOKEN' };
        }
        if (typeof token !== 'string') return reject(ctx, token.ok ? 'OUTPOST_ERR_JWT_INVALID' : token.code);
        const result = await checkToken(token, verifier, services.now());
        if (!result.ok) return reject(ctx, result.code);
        if (!issuerAccepted(result.claims.iss)) return reject(ctx, 'OUTPOST_ERR_JWT_INVALID');
        if (clientIds.size > 0 && !clientIds.has(clientApplicationId(result.claims) ?? '')) return reject(ctx, 'OUTPOST_ERR_JWT_INVALID');
        ctx.claims = result.claims;
        if (config.outputVariable !== null) ctx.setVariable(config.outputVariable, parseJwt(token));
        return CONTINUE;
      },
    };
  },
};
