/** Every policy the gateway knows, by element name. A name not here is a compile error. */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { setHeader } from './set-header.js';
import { mockResponse, returnResponse } from './return-response.js';
import { setStatus } from './set-status.js';
import { rateLimit, rateLimitByKey } from './rate-limit.js';
import { checkHeader } from './check-header.js';
import { ipFilter } from './ip-filter.js';
import { cors } from './cors.js';
import { makeChoose } from './choose.js';
import { quota, quotaByKey } from './quota.js';
import { makeLimitConcurrency } from './limit-concurrency.js';
import { jsonToXmlPolicy } from './json-to-xml.js';
import { xmlToJsonPolicy } from './xml-to-json.js';
import { jsonp } from './jsonp.js';
import { redirectContentUrls } from './redirect-content-urls.js';
import { crossDomain } from './cross-domain.js';
import { makeWait } from './wait.js';
import { proxy } from './proxy.js';
import { setQueryParameter } from './set-query-parameter.js';
import { rewriteUri } from './rewrite-uri.js';
import { setBackendService } from './set-backend-service.js';
import { setMethod } from './set-method.js';
import { forwardRequest } from './forward-request.js';
import { validateJwt } from './validate-jwt.js';
import { validateAzureAdToken } from './validate-azure-ad-token.js';
import { makeRetry } from './retry.js';
import { cacheLookup } from '../cache/cache-lookup.js';
import { cacheStore } from '../cache/cache-store.js';
import { cacheLookupValue, cacheRemoveValue, cacheStoreValue } from '../cache/cache-value.js';
import { setVariable } from './set-variable.js';
import { sendRequest } from './send-request.js';
import { sendOneWayRequest } from './send-one-way-request.js';
import { setBody } from './set-body.js';
import { findAndReplace } from './find-and-replace.js';
import { authenticationBasic } from './authentication-basic.js';
import { authenticationCertificate } from './authentication-certificate.js';
import { trace } from './trace.js';
import { emitMetric } from './emit-metric.js';
import { getAuthorizationContext } from './get-authorization-context.js';
import { azureOpenAiTokenLimit, llmTokenLimit } from './llm-token-limit.js';
import { azureOpenAiEmitTokenMetric, llmEmitTokenMetric } from './llm-emit-token-metric.js';
import { validateParameters } from './validate-parameters.js';
import { validateHeaders } from './validate-headers.js';
import { validateStatusCode } from './validate-status-code.js';
import { validateContent } from './validate-content.js';
import { validateOdataRequest } from './validate-odata-request.js';
import { validateClientCertificate } from './validate-client-certificate.js';

// choose and retry compile and creates its nested policies through this lookup (see choose.ts for why it is
// passed in rather than imported); findFactory is only called once the registry is complete.
const choose = makeChoose((name) => findFactory(name));
// wait and limit-concurrency hold policies too, found the same way.
const wait = makeWait((name) => findFactory(name));
const limitConcurrency = makeLimitConcurrency((name) => findFactory(name));
const retry = makeRetry((name) => findFactory(name));

const FACTORIES: ReadonlyArray<PolicyFactory<never>> = [
  setHeader, returnResponse, mockResponse, setStatus, rateLimit, rateLimitByKey,
  checkHeader, ipFilter, cors,
  quota, quotaByKey, limitConcurrency, setQueryParameter, rewriteUri, setBackendService, setMethod, forwardRequest,
  validateJwt, validateAzureAdToken,
  retry,
  cacheLookup, cacheStore, cacheLookupValue, cacheStoreValue, cacheRemoveValue,
  setVariable,
  sendRequest, sendOneWayRequest, setBody, findAndReplace,
  authenticationBasic, authenticationCertificate, getAuthorizationContext,
  trace, emitMetric,
  jsonToXmlPolicy, xmlToJsonPolicy, jsonp, redirectContentUrls, crossDomain, proxy,
  llmTokenLimit, azureOpenAiTokenLimit, llmEmitTokenMetric, azureOpenAiEmitTokenMetric,
  validateParameters, validateHeaders, validateStatusCode, validateContent, validateOdataRequest, validateClientCertificate,
  choose, wait,
] as unknown as ReadonlyArray<PolicyFactory<never>>;

const BY_NAME = new Map<string, PolicyFactory<unknown>>(FACTORIES.map((f) => [f.name, f as unknown as PolicyFactory<unknown>]));

export function findFactory(name: string): PolicyFactory<unknown> | undefined {
  return BY_NAME.get(name);
}

export function policyNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
