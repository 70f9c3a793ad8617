/**
 * get-authorization-context (APIM's credential manager): puts an `Authorization` object
 * (AccessToken, Claims; src/gateway/pipeline/expression/csharp/cs-authorization.ts) in the
 * context variable `context-variable-name`, for the connection `authorization-id` of the
 * credential provider `provider-id`, which the config declares under `authorizations` (a static
 * token, or an OAuth 2.0 client-credentials or refresh-token grant that each worker fetches and
 * caches; src/gateway/authorizations/). Every attribute may be a policy expression, as in APIM.
 *
 * A cached token is set synchronously; a request waits only for the first fetch (or one after
 * expiry), and waiting requests share one call to the token endpoint.
 *
 * Errors, as APIM documents them: an unknown provider/authorization pair
 * (OUTPOST_ERR_AUTHORIZATION_NOT_FOUND) or a token that cannot be had
 * (OUTPOST_ERR_AUTHORIZATION_FAILED) answer 500 through on-error, where context.LastError.Source
 * is "get-authorization-context"; with ignore-error="true" the variable is null instead and the
 * request goes on. An error in an attribute's own expression fails the policy either way.
 *
 * Deviations from APIM:
 * - a constant provider-id/authorization-id that the config does not declare is found per request,
 *   not at config load (APIM also reports a missing connection only when the policy runs);
 * - identity-type="jwt" is refused: Outpost's authorizations have no access policies to check a
 *   caller's Entra token against, and accepting the token unchecked would give the connection to
 *   anyone. `managed` (the default: the gateway's own access) is the one supported identity type,
 *   and `identity` is ignored with it, as in APIM.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { AuthorizationValue } from '../pipeline/expression/csharp/cs-authorization.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, templateAttr, VARIABLE_NAME, VARIABLE_RULE } from './attributes.js';
import type { TokenSource } from '../authorizations/token-source.js';
import type { AuthorizationDirectory } from '../authorizations/authorization-directory.js';

const IDENTITY_TYPES = ['managed', 'jwt'];
const JWT_REFUSED = 'identity-type "jwt" is not supported: Outpost\'s authorizations have no access policies to check a caller\'s token against; use "managed"';

interface Config {
  providerId: Template;
  authorizationId: Template;
  variable: Template;
  /** A constant "managed", or an expression checked per request. */
  identityType: Template;
  ignoreError: Template;
}

export const getAuthorizationContext: PolicyFactory<Config> = {
  name: 'get-authorization-context',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['provider-id', 'authorization-id', 'context-variable-name', 'identity-type', 'identity', 'ignore-error']);
    const providerId = templateAttr(el, at, 'provider-id');
    const authorizationId = templateAttr(el, at, 'authorization-id');
    const variable = templateAttr(el, at, 'context-variable-name');
    if (variable.k === 'text' && !VARIABLE_NAME.test(variable.v)) {
      throw new PolicyCompileError(at, 'context-variable-name', `${VARIABLE_RULE}, got ${JSON.stringify(variable.v.slice(0, 140))}`);
    }
    const identityType = templateAttr(el, at, 'identity-type', 'managed');
    if (identityType.k === 'text') {
      if (!IDENTITY_TYPES.includes(identityType.v)) throw new PolicyCompileError(at, 'identity-type', `must be one of managed, jwt, got "${identityType.v.slice(0, 40)}"`);
      if (identityType.v === 'jwt') throw new PolicyCompileError(at, 'identity-type', JWT_REFUSED);
    }
    // identity is only read with identity-type jwt (refused above), but a bad expression in it is still an error now.
    if (el.attrs.identity !== undefined) templateAttr(el, at, 'identity');
    const ignoreError = templateAttr(el, at, 'ignore-error', 'false');
    if (ignoreError.k === 'text' && ignoreError.v !== 'true' && ignoreError.v !== 'false') {
      throw new PolicyCompileError(at, 'ignore-error', `must be true or false, got "${ignoreError.v.slice(0, 40)}"`);
    }
    return { providerId, authorizationId, variable, identityType, ignoreError };
  },
  create(config, services): PolicyInstance {
    const directory = services.authorizations ?? null;
    const providerOf = bindStringTemplate(config.providerId);
    const authorizationOf = bindStringTemplate(config.authorizationId);
    // Constant ids (the common case) are looked up once here, not per request.
    const fixed = config.providerId.k === 'text' && config.authorizationId.k === 'text'
      ? directory?.find(config.providerId.v, config.authorizationId.v) ?? null : undefined;
    const variableOf = config.variable.k === 'text' ? null : bindStringTemplate(config.variable);
    const constantVariable = config.variable.k === 'text' ? config.variable.v : '';
    const identityTypeOf = config.identityType.k === 'text' ? null : bindStringTemplate(config.identityType);
    const ignoreErrorOf = config.ignoreError.k === 'text' ? null : bindStringTemplate(config.ignoreError);
    const constantIgnoreError = config.ignoreError.k === 'text' && config.ignoreError.v === 'true';

    /** The token source the ids name, or the error to report (computed ids are evaluated once). */
    const resolve = (ctx: RequestContext): TokenSource | OutpostError => {
      const providerId = providerOf(ctx);
      const authorizationId = authorizationOf(ctx);
      const source = fixed !== undefined ? fixed : lookup(directory, providerId, authorizationId);
      return source ?? notFound(providerId, authorizationId);
    };
    const failed = (ctx: RequestContext, variable: string, ignoreError: boolean, err: OutpostError): Outcome => {
      if (!ignoreError) throw err;
      ctx.setVariable(variable, null);
      return CONTINUE;
    };
    return {
      run(ctx: RequestContext): Outcome | Promise<Outcome> {
        const variable = variableOf === null ? constantVariable : checkedVariable(variableOf(ctx));
        const ignoreError = ignoreErrorOf === null ? constantIgnoreError : checkedBool(ignoreErrorOf(ctx));
        if (identityTypeOf !== null) {
          const type = identityTypeOf(ctx).trim();
          if (type !== 'managed') return failed(ctx, variable, ignoreError, new OutpostError('OUTPOST_ERR_AUTHORIZATION_FAILED', `get-authorization-context: ${type === 'jwt' ? JWT_REFUSED : `identity-type must be managed, got ${JSON.stringify(type.slice(0, 40))}`}`));
        }
        const source = resolve(ctx);
        if (source instanceof OutpostError) return failed(ctx, variable, ignoreError, source);
        const token = source.get();
        if (token instanceof AuthorizationValue) {
          ctx.setVariable(variable, token);
          return CONTINUE;
        }
        return token.then(
          (value) => { ctx.setVariable(variable, value); return CONTINUE; },
          (err: unknown) => failed(ctx, variable, ignoreError, new OutpostError('OUTPOST_ERR_AUTHORIZATION_FAILED', `get-authorization-context: ${err instanceof Error ? err.message : String(err)}`)),
        );
      },
    };
  },
};

function lookup(directory: AuthorizationDirectory | null, providerId: string, authorizationId: string): TokenSource | null {
  if (directory === null || providerId.length > 256 || authorizationId.length > 256) return null;
  return directory.find(providerId, authorizationId);
}

function notFound(providerId: string, authorizationId: string): OutpostError {
  const show = (s: string): string => JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
  return new OutpostError('OUTPOST_ERR_AUTHORIZATION_NOT_FOUND', `get-authorization-context: no authorization ${show(authorizationId)} of provider ${show(providerId)} (config: authorizations)`);
}

function checkedVariable(name: string): string {
  if (!VARIABLE_NAME.test(name)) throw new OutpostError('OUTPOST_ERR_POLICY_FAILED', `get-authorization-context: the context-variable-name computed by the expression ${VARIABLE_RULE}`);
  return name;
}

function checkedBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw new OutpostError('OUTPOST_ERR_POLICY_FAILED', 'get-authorization-context: the ignore-error computed by the expression must be true or false');
  return t === 'true';
}
