/**
 * The answer send-request stores in its response-variable-name, as APIM's IResponse:
 * `((IResponse)context.Variables["r"]).StatusCode`, `.StatusReason`, `.Headers` (the same
 * dictionary view as context.Response.Headers) and `.Body.As<string|JObject|JArray>()`. The
 * variable holds this object, so an expression reads it with the members and casts it already has.
 */
import { NO_MEMBER, View } from './cs-view.js';
import { BodyView, HeadersView } from './cs-context-parts.js';

export class SentResponse extends View {
  readonly csType = 'IResponse';
  constructor(readonly status: number, readonly reason: string, readonly headers: string[], readonly body: Buffer) { super(); }
  get(name: string): unknown {
    switch (name) {
      case 'StatusCode': return this.status;
      case 'StatusReason': return this.reason;
      case 'Headers': return new HeadersView(this.headers);
      case 'Body': return new BodyView(this.body);
    }
    return NO_MEMBER;
  }
}
