/** Writing gateway-made responses (errors, health) to a client response. */
import type { ClientResponse } from '../../http1/server/client-response.js';
import { ERRORS, errorBody, statusLine, type ErrorCode } from '../../shared/errors.js';
import type { PolicyResponse } from '../pipeline/context.js';
import { isHopByHop } from '../upstream/hop-by-hop.js';

export function writeError(res: ClientResponse, code: ErrorCode, closeConnection: boolean): void {
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
    writeHeaderList(res, response.headers);
    if (extra) writeHeaderList(res, extra);
    res.end(response.body ?? '', closeConnection);
  });
}

function writeHeaderList(res: ClientResponse, list: string[]): void {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (name === 'content-length' || name === 'date' || isHopByHop(name)) continue;
    res.writeHeader(name, list[i + 1]);
  }
}

/** The default error response as a PolicyResponse, for on-error to shape. */
export function errorResponse(code: ErrorCode): PolicyResponse {
  const status = ERRORS[code].status;
  return { status, reason: '', headers: ['content-type', 'application/json', 'x-outpost-error', code], body: errorBody(code) };
}
