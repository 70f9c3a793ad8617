// Ported from MDA2AV/Http11Probe (MIT), src/Http11Probe/TestCases/Suites/ComplianceSuite.cs (scored cases only).
import { echoValidator, expect, getEffectiveBody, header, isStaticResponse, toBytes, type ProbeCase } from './probe-types.js';

export const complianceCases: ProbeCase[] = [
  {
    id: 'COMP-BASELINE', category: 'Compliance', level: 'NotApplicable',
    description: "Valid GET request \u2014 confirms server is reachable",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([200, 299], { close: false }),
  },
  {
    id: 'RFC9112-2.2-BARE-LF-REQUEST-LINE', category: 'Compliance', level: 'May',
    description: "Bare LF in request line should be rejected, but MAY be accepted",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400) return 'pass';
                    if ((response.status >= 200 && response.status < 300)) return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-2.2-BARE-LF-HEADER', category: 'Compliance', level: 'May',
    description: "Bare LF in header should be rejected, but MAY be accepted",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\nX-Test: value\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400) return 'pass';
                    if ((response.status >= 200 && response.status < 300)) return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-5.1-OBS-FOLD', category: 'Compliance', level: 'Must',
    description: "Obs-fold (line folding) in headers should be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Test: value\r\n continued\r\n\r\n`),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'RFC9110-5.6.2-SP-BEFORE-COLON', category: 'Compliance', level: 'Must',
    description: "Whitespace between header name and colon must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Test : value\r\n\r\n`),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'RFC9112-3-MULTI-SP-REQUEST-LINE', category: 'Compliance', level: 'Should',
    description: "Multiple spaces between request-line components \u2014 SHOULD reject but MAY parse leniently",
    payload: (host: string) => toBytes(`GET  / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9112 §3: recipients MAY parse on whitespace-delimited boundaries
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-7.1-MISSING-HOST', category: 'Compliance', level: 'Must',
    description: "Request without Host header must be rejected with 400",
    payload: _ => toBytes("GET / HTTP/1.1\r\n\r\n"),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'RFC9112-2.3-INVALID-VERSION', category: 'Compliance', level: 'Should',
    description: "Invalid HTTP version must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if ([400, 505].includes(response.status))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-5-EMPTY-HEADER-NAME', category: 'Compliance', level: 'Must',
    description: "Empty header name (leading colon) must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\n: empty-name\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'RFC9112-3-CR-ONLY-LINE-ENDING', category: 'Compliance', level: 'Must',
    description: "CR without LF as line ending must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\rHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'RFC9112-3-MISSING-TARGET', category: 'Compliance', level: 'Must',
    description: "Request line with no target (space but no path) must be rejected",
    payload: (host: string) => toBytes(`GET HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'RFC9112-3.2-FRAGMENT-IN-TARGET', category: 'Compliance', level: 'Should',
    description: "Fragment (#) in request-target \u2014 not part of origin-form grammar",
    payload: (host: string) => toBytes(`GET /path#frag HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // Fragment not in origin-form grammar, but RFC only says SHOULD reject invalid request-line
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-2.3-HTTP09-REQUEST', category: 'Compliance', level: 'Should',
    description: "HTTP/0.9 request (no version) must be rejected",
    payload: _ => toBytes("GET /\r\n"),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout means server correctly rejected
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'RFC9112-5-INVALID-HEADER-NAME', category: 'Compliance', level: 'Must',
    description: "Header name with invalid characters (brackets) must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nBad[Name: value\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'RFC9112-5-HEADER-NO-COLON', category: 'Compliance', level: 'Must',
    description: "Header line without colon must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nNoColonHere\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'RFC9110-5.4-DUPLICATE-HOST', category: 'Compliance', level: 'Must',
    description: "Duplicate Host headers with different values must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nHost: other.example.com\r\n\r\n`),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'RFC9112-6.1-CL-NON-NUMERIC', category: 'Compliance', level: 'Must',
    description: "Non-numeric Content-Length must be rejected",
    payload: (host: string) => toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'RFC9112-6.1-CL-PLUS-SIGN', category: 'Compliance', level: 'Must',
    description: "Content-Length with plus sign must be rejected",
    payload: (host: string) => toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: +5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-WHITESPACE-BEFORE-HEADERS', category: 'Compliance', level: 'Must',
    description: "Whitespace before first header line must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\n \r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-DUPLICATE-HOST-SAME', category: 'Compliance', level: 'Must',
    description: "Duplicate Host headers with identical values must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: false }),
  },
  {
    id: 'COMP-HOST-WITH-USERINFO', category: 'Compliance', level: 'Must',
    description: "Host header with userinfo (user@host) must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: user@${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-HOST-WITH-PATH', category: 'Compliance', level: 'Must',
    description: "Host header with path component must be rejected",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}/path\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-ASTERISK-WITH-GET', category: 'Compliance', level: 'Must',
    description: "Asterisk-form (*) request-target with GET must be rejected",
    payload: (host: string) => toBytes(`GET * HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-OPTIONS-STAR', category: 'Compliance', level: 'Must',
    description: "OPTIONS * is the only valid asterisk-form request",
    payload: (host: string) => toBytes(`OPTIONS * HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([200, 299], { close: false }),
  },
  {
    id: 'COMP-UNKNOWN-TE-501', category: 'Compliance', level: 'Must',
    description: "Unknown Transfer-Encoding without CL should be rejected with 501",
    payload: (host: string) => toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: gzip\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return [400, 501].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'COMP-LEADING-CRLF', category: 'Compliance', level: 'Should',
    description: "Leading CRLF before request-line \u2014 server may ignore per RFC",
    payload: (host: string) => toBytes(`\r\n\r\nGET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-METHOD-CASE', category: 'Compliance', level: 'Should',
    description: "Lowercase method 'get' \u2014 methods are case-sensitive per RFC",
    payload: (host: string) => toBytes(`get / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if ([400, 405, 501].includes(response.status))
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-POST-CL-BODY', category: 'Compliance', level: 'Must',
    description: "POST with Content-Length and matching body must be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\n\r\nhello`),
    judge: echoValidator("hello"),
  },
  {
    id: 'COMP-POST-CL-ZERO', category: 'Compliance', level: 'Must',
    description: "POST with Content-Length: 0 and no body must be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`),
    judge: expect([200, 299], { close: true }),
  },
  {
    id: 'COMP-POST-NO-CL-NO-TE', category: 'Compliance', level: 'Must',
    description: "POST with neither Content-Length nor Transfer-Encoding \u2014 implicit zero-length body",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([200, 299], { close: true }),
  },
  {
    id: 'COMP-POST-CL-UNDERSEND', category: 'Compliance', level: 'Must',
    description: "POST with Content-Length: 10 but only 5 bytes sent \u2014 incomplete body",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 10\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    // (a 2xx means it processed an incomplete body — always wrong)
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout means server correctly waited for remaining bytes
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'COMP-CHUNKED-BODY', category: 'Compliance', level: 'Must',
    description: "Valid single-chunk POST must be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`),
    judge: echoValidator("hello"),
  },
  {
    id: 'COMP-CHUNKED-MULTI', category: 'Compliance', level: 'Must',
    description: "Valid multi-chunk POST must be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`),
    judge: echoValidator("hello world"),
  },
  {
    id: 'COMP-CHUNKED-EMPTY', category: 'Compliance', level: 'Must',
    description: "Zero-length chunked body (just terminator) must be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
    judge: expect([200, 299], { close: true }),
  },
  {
    id: 'COMP-CHUNKED-NO-FINAL', category: 'Compliance', level: 'Must',
    description: "Chunked body without zero terminator \u2014 incomplete transfer",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    // (a 2xx means it processed an incomplete body — always wrong)
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout means server correctly waited
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'COMP-UPGRADE-POST', category: 'Compliance', level: 'Must',
    description: "WebSocket upgrade via POST must not be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return response.status === 101 ? 'fail' : 'pass';
                },
  },
  {
    id: 'COMP-UPGRADE-MISSING-CONN', category: 'Compliance', level: 'Must',
    description: "Upgrade header without Connection: Upgrade must not trigger protocol switch",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return response.status === 101 ? 'fail' : 'pass';
                },
  },
  {
    id: 'COMP-UPGRADE-UNKNOWN', category: 'Compliance', level: 'Must',
    description: "Upgrade to unknown protocol must not return 101",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: totally-made-up/1.0\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return response.status === 101 ? 'fail' : 'pass';
                },
  },
  {
    id: 'COMP-METHOD-CONNECT', category: 'Compliance', level: 'Should',
    description: "CONNECT to an origin server must be rejected",
    payload: _ => toBytes(
                "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return [400, 405, 501].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'COMP-EXPECT-UNKNOWN', category: 'Compliance', level: 'May',
    description: "Unknown Expect value should be rejected with 417",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\nExpect: 200-ok\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 417)
                        return 'pass';
                    // Some servers ignore unknown Expect values
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-CHUNKED-EXTENSION', category: 'Compliance', level: 'Must',
    description: "Chunk extension (valid per RFC) \u2014 server should accept or may reject",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=value\r\nhello\r\n0\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'warn' : 'fail';
                    if (response.status === 400)
                        return 'warn';
                    if ((response.status >= 200 && response.status < 300))
                    {
                        let body = getEffectiveBody(response);
                        if (body === "hello") return 'pass';
                        if (isStaticResponse(body)) return 'pass';
                        return 'fail';
                    }
                    return 'fail';
                },
  },
  {
    id: 'COMP-UPGRADE-INVALID-VER', category: 'Compliance', level: 'Must',
    description: "WebSocket upgrade with unsupported version \u2014 should return 426",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\nSec-WebSocket-Version: 99\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 101)
                        return 'fail';
                    if (response.status === 426)
                        return 'pass';
                    // Some servers ignore Upgrade entirely and process the GET.
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'pass';
                },
  },
  {
    id: 'COMP-HOST-EMPTY-VALUE', category: 'Compliance', level: 'Must',
    description: "Empty Host header value must be rejected",
    payload: (host: string) => toBytes("GET / HTTP/1.1\r\nHost: \r\n\r\n"),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-REQUEST-LINE-TAB', category: 'Compliance', level: 'Should',
    description: "Tab as request-line delimiter \u2014 SHOULD reject but MAY parse on whitespace",
    payload: (host: string) => toBytes(`GET\t/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-VERSION-MISSING-MINOR', category: 'Compliance', level: 'Must',
    description: "HTTP/1 with no minor version digit is invalid",
    payload: (host: string) => toBytes(`GET / HTTP/1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-VERSION-LEADING-ZEROS', category: 'Compliance', level: 'Must',
    description: "HTTP/01.01 \u2014 leading zeros in version digits are invalid",
    payload: (host: string) => toBytes(`GET / HTTP/01.01\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-VERSION-WHITESPACE', category: 'Compliance', level: 'Must',
    description: "HTTP/ 1.1 \u2014 whitespace inside version token is invalid",
    payload: (host: string) => toBytes(`GET / HTTP/ 1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-CONNECTION-CLOSE', category: 'Compliance', level: 'Must',
    description: "Server must close connection after responding to Connection: close",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return state === 'closed' ? 'pass' : 'fail';
                    return 'fail';
                },
  },
  {
    id: 'COMP-HTTP10-DEFAULT-CLOSE', category: 'Compliance', level: 'Should',
    description: "HTTP/1.0 without keep-alive \u2014 server should close connection after response",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return state === 'closed' ? 'pass' : 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-CHUNKED-TRAILER-VALID', category: 'Compliance', level: 'Must',
    description: "Valid chunked body with trailer field should be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n`),
    judge: echoValidator("hello"),
  },
  {
    id: 'COMP-CHUNKED-HEX-UPPERCASE', category: 'Compliance', level: 'Must',
    description: "Chunk size with uppercase hex (A = 10) should be accepted",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\nA\r\nhelloworld\r\n0\r\n\r\n`),
    judge: echoValidator("helloworld"),
  },
  {
    id: 'COMP-RANGE-POST', category: 'Compliance', level: 'Must',
    description: "Range header on POST must be ignored \u2014 Range only applies to GET",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nRange: bytes=0-10\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'fail' : 'fail';
                    if (response.status === 206)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'COMP-UPGRADE-HTTP10', category: 'Compliance', level: 'Must',
    description: "Upgrade header in HTTP/1.0 request must be ignored",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.0\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 101)
                        return 'fail';
                    return 'pass';
                },
  },
  {
    id: 'COMP-HEAD-NO-BODY', category: 'Compliance', level: 'Must',
    description: "HEAD response must not contain a message body",
    payload: (host: string) => toBytes(
                `HEAD / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'fail' : 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return !(response.body) ? 'pass' : 'fail';
                    return 'fail';
                },
  },
  {
    id: 'COMP-UNKNOWN-METHOD', category: 'Compliance', level: 'Should',
    description: "Unrecognized method should be rejected with 501 or 405",
    payload: (host: string) => toBytes(
                `FOOBAR / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if ([501, 405, 400].includes(response.status))
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-405-ALLOW', category: 'Compliance', level: 'Must',
    description: "405 response must include an Allow header",
    payload: (host: string) => toBytes(
                `DELETE / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if (response.status === 405)
                        return (header(response, "Allow") !== undefined) ? 'pass' : 'fail';
                    // Server didn't return 405 — can't verify the Allow requirement
                    return 'warn';
                },
  },
  {
    id: 'COMP-DATE-HEADER', category: 'Compliance', level: 'Must',
    description: "Origin server must include Date header in responses",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return (header(response, "Date") !== undefined) ? 'pass' : 'fail';
                    return 'fail';
                },
  },
  {
    id: 'COMP-NO-1XX-HTTP10', category: 'Compliance', level: 'Must',
    description: "Server must not send 1xx responses to an HTTP/1.0 client",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.0\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return (state === 'closed' || state === 'timeout')
                            ? 'pass'
                            : 'fail';
                    // Server sent 100 Continue to an HTTP/1.0 client — violation
                    if ((response.status >= 100 && response.status < 200))
                        return 'fail';
                    return 'pass';
                },
  },
  {
    id: 'COMP-NO-CL-IN-204', category: 'Compliance', level: 'Must',
    description: "Server must not send Content-Length in a 204 response",
    payload: (host: string) => toBytes(
                `OPTIONS / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if (response.status === 204)
                        return (header(response, "Content-Length") !== undefined) ? 'fail' : 'pass';
                    // Server didn't return 204 — can't verify the CL prohibition
                    return 'warn';
                },
  },
  {
    id: 'COMP-OPTIONS-ALLOW', category: 'Compliance', level: 'Should',
    description: "OPTIONS response should include Allow header listing supported methods",
    payload: (host: string) => toBytes(
                `OPTIONS / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return (header(response, "Allow") !== undefined) ? 'pass' : 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-CONTENT-TYPE', category: 'Compliance', level: 'Should',
    description: "Response with content should include Content-Type header",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return 'fail';
                    if ((response.status >= 200 && response.status < 300))
                        return (header(response, "Content-Type") !== undefined) ? 'pass' : 'warn';
                    return 'fail';
                },
  },
  {
    id: 'COMP-VERSION-CASE', category: 'Compliance', level: 'Must',
    description: "HTTP version is case-sensitive \u2014 lowercase 'http' must be rejected",
    payload: (host: string) => toBytes(
                `GET / http/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-LONG-URL-OK', category: 'Compliance', level: 'Should',
    description: "Server should accept request-lines of at least 8000 octets",
    payload: (host: string) =>
            {
                let path = "/" + 'a'.repeat(7900);
                return toBytes(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'warn' : 'fail';
                    if (response.status === 414)
                        return 'fail';
                    return 'pass';
                },
  },
  {
    id: 'COMP-SPACE-IN-TARGET', category: 'Compliance', level: 'Must',
    description: "Whitespace inside request-target is invalid",
    payload: (host: string) => toBytes(
                `GET /pa th HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'COMP-DUPLICATE-CT', category: 'Compliance', level: 'Should',
    description: "Duplicate Content-Type headers with different values",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
];
