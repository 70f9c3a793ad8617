/**
 * The methods most requests carry, which the native addon takes as a code instead of a string
 * (a string copied out of V8 costs ~175 instructions): code i + 1 is COMMON_METHODS[i], 0 is
 * none (the string goes instead). native/src/method_codes.h holds the same texts in this order;
 * the request-log line (telemetry/native-line.ts) and the request head towards a backend
 * (upstream/request-writer.ts) both pass them.
 */
export const COMMON_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/** A switch on the method string: cheaper than a keyed lookup on a per-request string. */
export function nativeMethodCode(method: string): number {
  switch (method) {
    case 'GET': return 1;
    case 'POST': return 2;
    case 'PUT': return 3;
    case 'DELETE': return 4;
    case 'PATCH': return 5;
    case 'HEAD': return 6;
    case 'OPTIONS': return 7;
    default: return 0;
  }
}
