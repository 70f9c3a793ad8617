/**
 * `context` as APIM documents it, over Outpost's RequestContext: Api, Operation, Product,
 * Subscription, User (null: Outpost has no users), Request, Response, Variables, Deployment,
 * Elapsed, RequestId, Timestamp, LastError, Tracing. What Outpost does not know is null, never a
 * made-up value. The headers views join several values with "," as APIM's GetValueOrDefault does.
 */
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../context.js';
import { declareMembers } from './cs-names.js';
import { NO_MEMBER, View } from './cs-view.js';
import { CsDateTime, CsDict, CsTimeSpan } from './cs-values.js';
import { BodyView, HeadersView, UrlView, VariablesView } from './cs-context-parts.js';

export { HeadersView, VariablesView } from './cs-context-parts.js';

declareMembers(['AsFormUrlEncodedContent', 'Api', 'Operation', 'Product', 'Subscription', 'User', 'Request', 'Response', 'Variables', 'Deployment', 'Elapsed',
  'RequestId', 'Timestamp', 'LastError', 'Tracing', 'Trace', 'Id', 'Name', 'Path', 'ServiceUrl', 'Version', 'Method', 'UrlTemplate',
  'Key', 'PrimaryKey', 'SecondaryKey', 'Url', 'OriginalUrl', 'Headers', 'Body', 'IpAddress', 'MatchedParameters', 'Certificate',
  'StatusCode', 'StatusReason', 'Region', 'ServiceName', 'GatewayId', 'Source', 'Reason', 'Message', 'Scope', 'Section', 'PolicyId',
  'Host', 'Port', 'Query', 'QueryString', 'Scheme', 'As', 'GetValueOrDefault', 'ContainsKey', 'Keys', 'Values', 'Count', 'Email', 'FirstName', 'LastName']);

/** context.Deployment: Outpost has no regions or gateway ids of APIM's kind yet, so they are empty. */
export const deployment = { region: '', serviceName: 'outpost', gatewayId: '' };

export class ContextView extends View {
  readonly csType = 'IProxyRequestContext';
  constructor(readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    const ctx = this.ctx;
    switch (name) {
      case 'Request': return new RequestView(ctx);
      case 'Response': return new ResponseView(ctx);
      case 'Variables': return new VariablesView(ctx);
      case 'Api': return ctx.apiMeta === null ? new NamedView('IApi', ctx.apiId, ctx.apiId, null, null) : new NamedView('IApi', ctx.apiId, ctx.apiMeta.name, `/${ctx.apiMeta.path}`, ctx.apiMeta.origin + ctx.apiMeta.basePath);
      case 'Operation': return new OperationView(ctx);
      case 'Product': return ctx.subscription?.productId ? new NamedView('IProduct', ctx.subscription.productId, ctx.subscription.productId, null, null) : null;
      case 'Subscription': return ctx.subscription ? new NamedView('ISubscription', ctx.subscription.id, ctx.subscription.id, null, null) : null;
      case 'User': return null;
      case 'Deployment': return new DeploymentView();
      case 'Elapsed': return new CsTimeSpan(performance.now() - ctx.startedAt);
      case 'RequestId': return (ctx.requestId ??= randomUUID());
      case 'Timestamp': return new CsDateTime(Date.now() - (performance.now() - ctx.startedAt));
      case 'LastError': return ctx.lastError === null ? null : new LastErrorView(ctx);
      case 'Tracing': return false;
    }
    return NO_MEMBER;
  }
  override call(name: string): unknown {
    return name === 'Trace' ? null : NO_MEMBER; // context.Trace(...): tracing is off, as APIM without a trace request
  }
}

class NamedView extends View {
  constructor(readonly csType: string, private readonly id: string, private readonly name: string, private readonly path: string | null, private readonly serviceUrl: string | null) { super(); }
  get(name: string): unknown {
    switch (name) {
      case 'Id': return this.id;
      case 'Name': return this.name;
      case 'Path': return this.csType === 'IApi' ? this.path : NO_MEMBER;
      case 'ServiceUrl': return this.csType === 'IApi' && this.serviceUrl !== null ? UrlView.parse(this.serviceUrl) : this.csType === 'IApi' ? null : NO_MEMBER;
      case 'Key': case 'PrimaryKey': case 'SecondaryKey': return this.csType === 'ISubscription' ? null : NO_MEMBER; // keys are stored hashed
    }
    return NO_MEMBER;
  }
}

class OperationView extends View {
  readonly csType = 'IOperation';
  constructor(private readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    const op = this.ctx.operationMeta;
    switch (name) {
      case 'Id': case 'Name': return this.ctx.operationId;
      case 'Method': return op?.method ?? null;
      case 'UrlTemplate': return op?.urlTemplate ?? null;
    }
    return NO_MEMBER;
  }
}

class DeploymentView extends View {
  readonly csType = 'IDeployment';
  get(name: string): unknown {
    switch (name) {
      case 'Region': return deployment.region;
      case 'ServiceName': return deployment.serviceName;
      case 'GatewayId': return deployment.gatewayId;
    }
    return NO_MEMBER;
  }
}

class LastErrorView extends View {
  readonly csType = 'IProxyError';
  constructor(private readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    const e = this.ctx.lastError!;
    switch (name) {
      case 'Source': return e.policy ?? e.source;
      case 'Reason': return e.reason;
      case 'Message': return e.message;
      case 'Scope': return null;
      case 'Section': return e.section;
      case 'Path': return null;
      case 'PolicyId': return e.policy;
    }
    return NO_MEMBER;
  }
}

class RequestView extends View {
  readonly csType = 'IRequest';
  constructor(private readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    const ctx = this.ctx;
    switch (name) {
      case 'Method': return ctx.method;
      case 'Headers': return new HeadersView(ctx.headers);
      case 'Url': case 'OriginalUrl': return new UrlView(ctx);
      case 'IpAddress': return ctx.clientIp;
      case 'MatchedParameters': return new CsDict(new Map(Object.entries(ctx.params)));
      case 'Certificate': return null;
      case 'Body': return ctx.requestBody === null ? null : new BodyView(ctx.requestBody);
    }
    return NO_MEMBER;
  }
}

class ResponseView extends View {
  readonly csType = 'IResponse';
  constructor(private readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    const r = this.ctx.response;
    switch (name) {
      case 'StatusCode': return r?.status ?? 0;
      case 'StatusReason': return r?.reason ?? '';
      case 'Headers': return new HeadersView(r?.headers ?? []);
      case 'Body': return r === null || r.body === null ? null : new BodyView(typeof r.body === 'string' ? Buffer.from(r.body) : r.body);
    }
    return NO_MEMBER;
  }
}

