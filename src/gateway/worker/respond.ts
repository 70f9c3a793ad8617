/** Writing gateway-made responses (errors, health) to a uWS response, always corked. */
import type { HttpResponse } from './uws-native.js';
import { ERRORS, errorBody, statusLine, type ErrorCode } from '../../shared/errors.js';

export function writeError(res: HttpResponse, code: ErrorCode, closeConnection: boolean): void {
  res.cork(() => {
    res.writeStatus(statusLine(ERRORS[code].status))
      .writeHeader('Content-Type', 'application/json')
      .writeHeader('X-Outpost-Error', code)
      .end(errorBody(code), closeConnection);
  });
}

export function writeJson(res: HttpResponse, status: number, body: string, closeConnection: boolean): void {
  res.cork(() => {
    res.writeStatus(status === 200 ? '200 OK' : statusLine(status))
      .writeHeader('Content-Type', 'application/json')
      .end(body, closeConnection);
  });
}
