/** Writing gateway-made responses (errors, health) to a client response. */
import type { ClientResponse } from '../../http1/server/client-response.js';
import { ERRORS, errorBody, statusLine, type ErrorCode } from '../../shared/errors.js';
import type { PolicyResponse } from '../pipeline/context.js';
import { isHopByHop } from '../upstream/hop-by-hop.js';

export function writeError(res: ClientResponse, code: ErrorCode, closeConnection: boolean): void {
  res.errorCode = code;
  res.cork(() => {
    res.writeStatus(statusLine(ERRORS[code].status))
      .writeHeader('Content-Type', 'application/json')
      .writeHeader('X-Outpost-Error', code)
      .end(errorBody(code), closeConnection);
  });
}

export function writeJson(res: ClientResponse, status: number, body: string, closeConnection: boolean): void {
  res.cork(() => {
    res.writeStatus(status === 200 ? '200 OK' : statusLine(status))
      .writeHeader('Content-Type', 'application/json')
      .end(body, closeConnection);
  });
}

/**
 * Writes a response a policy built (return-response, mock-response, on-error shaping). Framing
 * headers are the gateway's business: the server writes Content-Length itself.
 */
export function writePolicyResponse(res: ClientResponse, response: PolicyResponse, extra: string[] | null, closeConnection: boolean): void {
  res.cork(() => {
    res.writeStatus(response.reason ? `${response.status} ${response.reason}` : statusLine(response.status));
    writeHeaderList(res, response.headers, true);
    if (extra) writeHeaderList(res, extra, false);
    res.end(response.body ?? '', closeConnection);
  });
}

/** `noteErrorCode`: a policy's answer names its coded error in X-Outpost-Error; telemetry counts it. */
function writeHeaderList(res: ClientResponse, list: string[], noteErrorCode: boolean): void {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (name === 'content-length' || name === 'date' || isHopByHop(name)) continue;
    // The correlation id is the gateway's (the server writes it on every head).
    if (name === 'x-request-id' && res.requestId !== '') continue;
    if (noteErrorCode && name === 'x-outpost-error' && list[i + 1] in ERRORS) res.errorCode = list[i + 1];
    res.writeHeader(name, list[i + 1]);
  }
}

/** The default error response as a PolicyResponse, for on-error to shape. */
export function errorResponse(code: ErrorCode, publicMessage?: string): PolicyResponse {
  const status = ERRORS[code].status;
  const body = publicMessage === undefined ? errorBody(code) : JSON.stringify({ statusCode: status, message: publicMessage });
  return { status, reason: '', headers: ['content-type', 'application/json', 'x-outpost-error', code], body };
}
