// Ported from MDA2AV/Http11Probe (MIT), src/Http11Probe/TestCases/Suites/MalformedInputSuite.cs (scored cases only).
import { concatBytes, expect, toBytes, type ProbeCase } from './probe-types.js';

export const malformedInputCases: ProbeCase[] = [
  {
    id: 'MAL-BINARY-GARBAGE', category: 'MalformedInput', level: 'Should',
    description: "Random binary garbage should be rejected or connection closed",
    payload: _ =>
            {
                // The probe fills 256 bytes from .NET's Random(42); any fixed garbage serves the same purpose.
                let seed = 42;
                return Uint8Array.from({ length: 256 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
            },
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout is acceptable
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'MAL-LONG-URL', category: 'MalformedInput', level: 'Should',
    description: "100KB URL should be rejected with 414 URI Too Long",
    payload: (host: string) =>
            {
                let longPath = "/" + 'A'.repeat(100_000);
                return toBytes(`GET ${longPath} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    // 414 is ideal, 400 and 431 are also acceptable
                    return [400, 414, 431].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'MAL-LONG-HEADER-VALUE', category: 'MalformedInput', level: 'Should',
    description: "100KB header value should be rejected with 431",
    payload: (host: string) =>
            {
                let longValue = 'B'.repeat(100_000);
                return toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${longValue}\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return [400, 431].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'MAL-MANY-HEADERS', category: 'MalformedInput', level: 'NotApplicable',
    description: "10,000 headers should be rejected with 431",
    payload: (host: string) =>
            {
                let sb = { text: "", Append(s: string) { this.text += s; }, ToString() { return this.text; } };
                sb.Append(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
                for (let i = 0; i < 10_000; i++)
                    sb.Append(`X-H-${i}: value\r\n`);
                sb.Append("\r\n");
                return toBytes(sb.ToString());
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return [400, 431].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'MAL-NUL-IN-URL', category: 'MalformedInput', level: 'Must',
    description: "NUL byte in URL should be rejected",
    payload: (host: string) => toBytes(`GET /\0test HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-CONTROL-CHARS-HEADER', category: 'MalformedInput', level: 'Must',
    description: "Control characters in header value should be rejected",
    payload: (host: string) =>
            {
                // Inject BEL (0x07), BS (0x08), VT (0x0B) into header value
                let request = `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Test: abc\x07\x08\x0Bdef\r\n\r\n`;
                return toBytes(request);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-INCOMPLETE-REQUEST', category: 'MalformedInput', level: 'NotApplicable',
    description: "Partial HTTP request \u2014 request-line and headers but no final CRLF",
    payload: (host: string) => toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Test: value`),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout is acceptable
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'MAL-EMPTY-REQUEST', category: 'MalformedInput', level: 'NotApplicable',
    description: "Zero bytes \u2014 TCP connection established without sending any data",
    payload: () => new Uint8Array(0),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout is acceptable
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'MAL-LONG-HEADER-NAME', category: 'MalformedInput', level: 'Should',
    description: "100KB header name should be rejected with 400/431",
    payload: (host: string) =>
            {
                let longName = 'A'.repeat(100_000);
                return toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\n${longName}: val\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return [400, 431].includes(response.status)
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'MAL-LONG-METHOD', category: 'MalformedInput', level: 'Should',
    description: "100KB method name should be rejected",
    payload: (host: string) =>
            {
                let longMethod = 'A'.repeat(100_000);
                return toBytes(`${longMethod} / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    return response.status === 400
                        ? 'pass'
                        : 'fail';
                },
  },
  {
    id: 'MAL-NON-ASCII-HEADER-NAME', category: 'MalformedInput', level: 'Must',
    description: "Non-ASCII bytes (UTF-8 \u00eb) in header name must be rejected",
    payload: (host: string) =>
            {
                // Build raw bytes: can't use Encoding.ASCII for non-ASCII
                let before = toBytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-T`);
                const utf8Bytes = [0xC3, 0xAB]; // UTF-8 ë
                let after = toBytes("st: value\r\n\r\n");
                return concatBytes(before, utf8Bytes, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-NON-ASCII-URL', category: 'MalformedInput', level: 'Must',
    description: "Non-ASCII bytes (UTF-8 \u00e9) in URL must be rejected",
    payload: (host: string) =>
            {
                // Build raw bytes: can't use Encoding.ASCII for non-ASCII
                let before = toBytes("GET /caf");
                const utf8Bytes = [0xC3, 0xA9]; // UTF-8 é
                let after = toBytes(` HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
                return concatBytes(before, utf8Bytes, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-CL-OVERFLOW', category: 'MalformedInput', level: 'Must',
    description: "Content-Length with integer overflow value must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 99999999999999999999\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-WHITESPACE-ONLY-LINE', category: 'MalformedInput', level: 'NotApplicable',
    description: "Whitespace-only request line should be rejected or timeout",
    payload: _ => toBytes("   \r\n\r\n"),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout is acceptable
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'MAL-NUL-IN-HEADER-VALUE', category: 'MalformedInput', level: 'Must',
    description: "NUL byte in header value should be rejected",
    payload: (host: string) =>
            {
                let request = `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Test: val\0ue\r\n\r\n`;
                return toBytes(request);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-CHUNK-SIZE-OVERFLOW', category: 'MalformedInput', level: 'Must',
    description: "Chunk size with integer overflow must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF0\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-H2-PREFACE', category: 'MalformedInput', level: 'NotApplicable',
    description: "HTTP/2 connection preface sent to HTTP/1.1 server must be rejected",
    payload: _ => toBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 or 505 is acceptable
                    if (response !== null)
                        return [400, 505].includes(response.status) ? 'pass' : 'fail';
                    // No response: close or timeout is acceptable
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
  {
    id: 'MAL-CL-EMPTY', category: 'MalformedInput', level: 'Must',
    description: "Empty Content-Length value must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: \r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-CL-TAB-BEFORE-VALUE', category: 'MalformedInput', level: 'May',
    description: "Content-Length with tab as OWS \u2014 valid per RFC but unusual",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length:\t5\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // 2xx = server accepted tab as OWS (RFC-compliant)
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'MAL-URL-BACKSLASH', category: 'MalformedInput', level: 'Should',
    description: "Backslash in URL path \u2014 not valid URI character, some servers normalize to /",
    payload: (host: string) => toBytes(
                `GET /path\\file HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 500))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'MAL-URL-OVERLONG-UTF8', category: 'MalformedInput', level: 'Must',
    description: "Overlong UTF-8 encoding of / (0xC0 0xAF) in URL must be rejected",
    payload: (host: string) =>
            {
                let before = toBytes("GET /");
                const overlong = [0xC0, 0xAF]; // Overlong UTF-8 for 0x2F (/)
                let after = toBytes(` HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
                return concatBytes(before, overlong, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'MAL-URL-PERCENT-NULL', category: 'MalformedInput', level: 'NotApplicable',
    description: "Percent-encoded NUL byte (%00) in URL \u2014 security risk from null byte injection",
    payload: (host: string) => toBytes(
                `GET /path%00.html HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 500))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'MAL-URL-PERCENT-CRLF', category: 'MalformedInput', level: 'NotApplicable',
    description: "Percent-encoded CRLF (%0d%0a) in URL \u2014 header injection if server decodes during parsing",
    payload: (host: string) => toBytes(
                `GET /path%0d%0aX-Injected:%20true HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    if ((response.status >= 200 && response.status < 500))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'MAL-CHUNK-EXT-64K', category: 'MalformedInput', level: 'NotApplicable',
    description: "64KB chunk extension \u2014 tests extension length limits (CVE-2023-39326 class)",
    payload: (host: string) =>
            {
                let longExt = 'a'.repeat(65_536);
                return toBytes(
                    `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=${longExt}\r\nhello\r\n0\r\n\r\n`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if ([400, 431].includes(response.status))
                        return 'pass';
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'MAL-POST-CL-HUGE-NO-BODY', category: 'MalformedInput', level: 'Must',
    description: "POST with Content-Length: 999999999 but no body \u2014 tests timeout vs memory allocation",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 999999999\r\n\r\n`),
    judge: (response, state) =>
                {
                    // If server sent a response, only 400 is acceptable
                    if (response !== null)
                        return response.status === 400 ? 'pass' : 'fail';
                    // No response: close or timeout means server correctly waited
                    if ((state === 'timeout' || state === 'closed'))
                        return 'pass';
                    return 'fail';
                },
  },
];
