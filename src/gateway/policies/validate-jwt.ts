/**
 * validate-jwt (inbound): APIM's policy for bearer tokens, HS256, RS256 and ES256 only.
 *
 *   <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401"
 *                 failed-validation-error-message="…" require-expiration-time="true" clock-skew="0">
 *     <openid-config url="https://login.example/.well-known/openid-configuration" />
 *     <issuer-signing-keys><key>base64 secret | PEM | JWK JSON</key><key n="…" e="…" /></issuer-signing-keys>
 *     <audiences><audience>api://orders</audience></audiences>
 *     <issuers><issuer>https://login.example/</issuer></issuers>
 *     <required-claims><claim name="roles" match="any"><value>admin</value></claim></required-claims>
 *   </validate-jwt>
 *
 * Success puts the token's claims in ctx.claims and continues; failure answers at once with the
 * status and APIM's JSON error shape, `WWW-Authenticate: Bearer …` on 401, and `x-outpost-error`
 * naming the code. The token is left on the request (as APIM).
 *
 * `output-token-variable-name` puts the validated token in context.Variables as the Jwt object
 * AsJwt() gives (Header, Claims, Subject, ExpirationTime...).
 *
 * Not supported, each a compile error naming the attribute: token-value (an expression),
 * require-signed-tokens="false" (unsigned tokens are never accepted),
 * <key certificate-id> (give the certificate's PEM instead).
 *
 * <decryption-keys> (validate-jwt-decrypt.ts): an encrypted token (compact JWE) is decrypted with
 * the inline symmetric keys, and the signed token inside it is then validated as any other.
 *
 * Outpost extensions: `jwks-file="path"` reads a JWKS file at compile time (in the compiler
 * thread; a relative path is relative to the gateway's working directory; the file is read again
 * at every config reload, not watched); `<key id="kid">` gives an inline key a kid;
 * `<openid-config refresh-interval="seconds">` (default 3600).
 * Keys are parsed and checked at compile time (validate-jwt-keys.ts), imported once per generation.
 */
import { readFileSync } from 'node:fs';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ErrorCode } from '../../shared/errors.js';
import { parseJwt } from '../pipeline/expression/csharp/cs-strings.js';
import { allowOnly, optionalVariableName, boolAttr, enumAttr, headerName, intAttr, stringAttr, textOnly } from './attributes.js';
import { isToken } from '../../shared/http-syntax.js';
import { importKeys, keyFromModulus, keysFromJwkJson, keysFromText, KeyProblem, MAX_KEYS, type JwtKeyData } from './validate-jwt-keys.js';
import { openIdSource } from './validate-jwt-openid.js';
import { compileDecryptionKeys, importDecryptionKeys } from './validate-jwt-decrypt.js';
import { checkToken, findToken, type RequiredClaim, type ValidateJwtConfig, type Verifier } from './validate-jwt-verify.js';

const ATTRS = ['output-token-variable-name', 'header-name', 'query-parameter-name', 'failed-validation-httpcode', 'failed-validation-error-message',
  'require-expiration-time', 'require-scheme', 'require-signed-tokens', 'clock-skew', 'jwks-file'];
const CHILDREN = ['openid-config', 'issuer-signing-keys', 'decryption-keys', 'audiences', 'issuers', 'required-claims'];
const UNSUPPORTED: Record<string, string> = {
  'token-value': 'is an expression in APIM and expressions are not supported: use header-name or query-parameter-name',
};
const DEFAULT_MESSAGE = 'Unauthorized. Access token is missing or invalid.';
const MAX_OPENID = 4;

/** Where a child element sits: `validate-jwt[0]/issuer-signing-keys`, its index among the children. */
function childAt(at: PolicyLocation, el: PolicyElement, child: PolicyElement): PolicyLocation {
  return { ...at, element: `${at.element}[${at.index}]/${child.name}`, index: el.children.indexOf(child) };
}

function compile(el: PolicyElement, at: PolicyLocation): ValidateJwtConfig {
  for (const [attr, why] of Object.entries(UNSUPPORTED)) if (attr in el.attrs) throw new PolicyCompileError(at, attr, why);
  allowOnly(el, at, ATTRS, CHILDREN);
  if (!boolAttr(el, at, 'require-signed-tokens', true)) throw new PolicyCompileError(at, 'require-signed-tokens', 'only "true" is supported: unsigned tokens are never accepted');
  const fromQuery = el.attrs['query-parameter-name'] !== undefined;
  if (fromQuery && el.attrs['header-name'] !== undefined) throw new PolicyCompileError(at, 'query-parameter-name', 'give header-name or query-parameter-name, not both');
  if (fromQuery && el.attrs['require-scheme'] !== undefined) throw new PolicyCompileError(at, 'require-scheme', 'applies only to a token in a header');
  const header = fromQuery ? null : (el.attrs['header-name'] === undefined ? 'authorization' : headerName(el, at, 'header-name'));
  const scheme = el.attrs['require-scheme'] ?? (header === 'authorization' ? 'Bearer' : null);
  if (scheme !== null && !isToken(scheme)) throw new PolicyCompileError(at, 'require-scheme', `${JSON.stringify(scheme)} is not a valid scheme name`);
  const message = stringAttr(el, at, 'failed-validation-error-message', DEFAULT_MESSAGE);

  const config: ValidateJwtConfig = {
    headerName: header, scheme, queryName: fromQuery ? stringAttr(el, at, 'query-parameter-name') : null,
    status: intAttr(el, at, 'failed-validation-httpcode', { min: 400, max: 599 }, 401),
    message,
    requireExp: boolAttr(el, at, 'require-expiration-time', true),
    clockSkewSec: intAttr(el, at, 'clock-skew', { min: 0, max: 86_400 }, 0),
    audiences: [], issuers: [], claims: [], keys: [], openIdUrls: [], refreshSec: 3600,
    outputVariable: optionalVariableName(el, at, 'output-token-variable-name'),
    decryptionKeys: [],
  };
  for (const child of el.children) {
    const cat = childAt(at, el, child);
    switch (child.name) {
      case 'audiences': config.audiences.push(...texts(child, cat, 'audience')); break;
      case 'issuers': config.issuers.push(...texts(child, cat, 'issuer')); break;
      case 'decryption-keys': (config.decryptionKeys ??= []).push(...compileDecryptionKeys(child, cat)); break;
      case 'issuer-signing-keys': for (const key of child.children) config.keys.push(...inlineKey(key, childAt(cat, child, key))); break;
      case 'required-claims': for (const claim of child.children) config.claims.push(requiredClaim(claim, childAt(cat, child, claim))); break;
      case 'openid-config': {
        allowOnly(child, cat, ['url', 'refresh-interval']);
        const url = stringAttr(child, cat, 'url');
        if (!/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) throw new PolicyCompileError(cat, 'url', `must be an http(s) URL, got "${url}"`);
        config.openIdUrls.push(url);
        config.refreshSec = intAttr(child, cat, 'refresh-interval', { min: 60, max: 86_400 }, config.refreshSec);
        break;
      }
    }
  }
  if (config.openIdUrls.length > MAX_OPENID) throw new PolicyCompileError(at, null, `at most ${MAX_OPENID} <openid-config> elements`);
  if (el.attrs['jwks-file'] !== undefined) config.keys.push(...jwksFile(stringAttr(el, at, 'jwks-file'), at));
  if (config.keys.length > MAX_KEYS) throw new PolicyCompileError(at, null, `at most ${MAX_KEYS} signing keys`);
  if (config.keys.length === 0 && config.openIdUrls.length === 0) {
    throw new PolicyCompileError(at, null, 'needs signing keys: <issuer-signing-keys>, jwks-file or <openid-config>');
  }
  return config;
}

export function texts(el: PolicyElement, at: PolicyLocation, name: string): string[] {
  allowOnly(el, at, [], [name]);
  const list = el.children.map((c, i) => textOnly(c, { ...at, element: `${at.element}[${at.index}]/${name}`, index: i }).trim());
  if (list.some((t) => t === '')) throw new PolicyCompileError(at, null, `an empty <${name}>`);
  return list;
}

function inlineKey(key: PolicyElement, at: PolicyLocation): JwtKeyData[] {
  if (key.name !== 'key') throw new PolicyCompileError(at, null, `unknown child element <${key.name}> (allowed: key)`);
  if ('certificate-id' in key.attrs) throw new PolicyCompileError(at, 'certificate-id', 'is not supported: put the certificate PEM in <key>');
  allowOnly(key, at, ['id', 'n', 'e']);
  const kid = key.attrs.id ?? null;
  try {
    if (key.attrs.n !== undefined || key.attrs.e !== undefined) {
      return [keyFromModulus(stringAttr(key, at, 'n'), stringAttr(key, at, 'e'), kid)];
    }
    if (key.text.trim() === '') throw new KeyProblem('is empty');
    return keysFromText(key.text, kid);
  } catch (err) {
    if (err instanceof KeyProblem) throw new PolicyCompileError(at, null, `<key> ${err.message}`);
    throw err;
  }
}

function jwksFile(path: string, at: PolicyLocation): JwtKeyData[] {
  let json: unknown;
  try { json = JSON.parse(readFileSync(path, 'utf8')); } catch (err) {
    throw new PolicyCompileError(at, 'jwks-file', `cannot read "${path}" as JSON (${(err as Error).message})`);
  }
  try { return keysFromJwkJson(json, true); } catch (err) {
    throw new PolicyCompileError(at, 'jwks-file', `"${path}": ${(err as Error).message}`);
  }
}

export function requiredClaim(claim: PolicyElement, at: PolicyLocation): RequiredClaim {
  if (claim.name !== 'claim') throw new PolicyCompileError(at, null, `unknown child element <${claim.name}> (allowed: claim)`);
  allowOnly(claim, at, ['name', 'match', 'separator'], ['value']);
  return {
    name: stringAttr(claim, at, 'name'),
    match: enumAttr(claim, at, 'match', ['all', 'any'] as const, 'all'),
    separator: claim.attrs.separator || null,
    values: claim.children.map((v, i) => textOnly(v, { ...at, element: `${at.element}[${at.index}]/value`, index: i })),
  };
}

export const validateJwt: PolicyFactory<ValidateJwtConfig> = {
  name: 'validate-jwt',
  sections: ['inbound'],
  compile,
  create(config, services): PolicyInstance {
    const verifier: Verifier = {
      config,
      inline: importKeys(config.keys),
      sources: config.openIdUrls.map((url) => openIdSource(url, config.refreshSec * 1000, services.now)),
      decryption: importDecryptionKeys(config.decryptionKeys ?? []),
    };
    const body = JSON.stringify({ statusCode: config.status, message: config.message });
    const reject = (ctx: RequestContext, code: ErrorCode): Outcome => {
      const headers = ['content-type', 'application/json', 'x-outpost-error', code];
      // RFC 6750 §3: no error code when no token was sent.
      if (config.status === 401) headers.push('www-authenticate', code === 'OUTPOST_ERR_JWT_MISSING' ? 'Bearer' : 'Bearer error="invalid_token"');
      ctx.respond(config.status, '', headers, body);
      return RESPOND;
    };
    return {
      async run(ctx: RequestContext): Promise<Outcome> {
        const token = findToken(config, (n) => ctx.header(n), ctx.query);
        if (typeof token !== 'string') return reject(ctx, token.ok ? 'OUTPOST_ERR_JWT_INVALID' : token.code);
        const result = await checkToken(token, verifier, services.now());
        if (!result.ok) return reject(ctx, result.code);
        ctx.claims = result.claims;
        // An encrypted token: the variable holds the signed token inside it (what APIM validated).
        if (config.outputVariable !== null) ctx.setVariable(config.outputVariable, parseJwt(result.signed));
        return CONTINUE;
      },
    };
  },
};
