// Ported from MDA2AV/Http11Probe (MIT), src/Http11Probe/TestCases/Suites/SmugglingSuite.cs (scored cases only).
import { concatBytes, countHttpStatusLines, expect, toBytes, type ProbeCase } from './probe-types.js';

export const smugglingCases: ProbeCase[] = [
  {
    id: 'SMUG-CL-TE-BOTH', category: 'Smuggling', level: 'OughtTo',
    description: "Both Content-Length and Transfer-Encoding present \u2014 server MAY reject or process with TE alone",
    payload: (host: string) =>
            {
                // Non-empty chunked body so echo-capable servers reveal whether they decoded TE or used CL.
                const chunkedBody = "D\r\nhello-bananas\r\n0\r\n\r\n";
                let cl = Buffer.byteLength(chunkedBody, 'latin1');
                return toBytes(
                    `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9112 §6.3: server MAY process with TE alone
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-DUPLICATE-CL', category: 'Smuggling', level: 'Must',
    description: "Duplicate Content-Length with different values must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhelloworld`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-LEADING-ZEROS', category: 'Smuggling', level: 'Should',
    description: "Content-Length with leading zeros \u2014 valid per 1*DIGIT grammar but may cause parser disagreement",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 005\r\n\r\nhello`),
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
    id: 'SMUG-TE-XCHUNKED', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding: xchunked must not be treated as chunked",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello`),
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
    id: 'SMUG-TE-TRAILING-SPACE', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding: 'chunked ' (trailing space) must not be treated as chunked",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked \r\nContent-Length: 5\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';

                    if ([400, 501].includes(response.status))
                        return 'pass';

                    // If recipient trims OWS and recognizes chunked, RFC allows processing;
                    // with CL+TE present, connection should be closed after response.
                    if ((response.status >= 200 && response.status < 300))
                        return state === 'closed' ? 'warn' : 'fail';

                    return 'fail';
                },
  },
  {
    id: 'SMUG-TE-SP-BEFORE-COLON', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding with space before colon must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-NEGATIVE', category: 'Smuggling', level: 'Must',
    description: "Negative Content-Length must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CLTE-PIPELINE', category: 'Smuggling', level: 'May',
    description: "CL.TE conflict \u2014 both Content-Length and Transfer-Encoding: chunked present",
    payload: (host: string) =>
            {
                // Ambiguous: CL says body === 4 bytes ("0\r\n\r"), but TE chunked says 0 chunk = end
                let body = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
                return toBytes(body);
            },
    judge: (response, state) =>
                {
                    if (response !== null && response.status === 400)
                        return 'pass';
                    if (state === 'closed')
                        return 'pass';
                    if (response !== null && (response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-TECL-PIPELINE', category: 'Smuggling', level: 'May',
    description: "TE.CL conflict \u2014 Transfer-Encoding: chunked + conflicting Content-Length",
    payload: (host: string) =>
            {
                // TE.CL reverse: TE parser sees chunked body, CL parser reads 30 bytes
                let body = `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\n`;
                return toBytes(body);
            },
    judge: (response, state) =>
                {
                    if (response !== null && response.status === 400)
                        return 'pass';
                    if (state === 'closed')
                        return 'pass';
                    if (response !== null && (response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-CL-TRAILING-SPACE', category: 'Smuggling', level: 'Should',
    description: "Content-Length with trailing space \u2014 OWS trimming is valid per RFC 9110 \u00a75.5",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5 \r\n\r\nhello`),
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
    id: 'SMUG-TE-DOUBLE-CHUNKED', category: 'Smuggling', level: 'Should',
    description: "Transfer-Encoding: chunked, chunked with CL is ambiguous",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked, chunked\r\nContent-Length: 5\r\n\r\nhello`),
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
    id: 'SMUG-CL-EXTRA-LEADING-SP', category: 'Smuggling', level: 'Should',
    description: "Content-Length with extra leading whitespace (double space OWS)",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length:  5\r\n\r\nhello`),
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
    id: 'SMUG-TE-CASE-MISMATCH', category: 'Smuggling', level: 'Should',
    description: "Transfer-Encoding: Chunked (capital C) with CL \u2014 case-insensitive is valid",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: Chunked\r\nContent-Length: 5\r\n\r\nhello`),
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
    id: 'SMUG-CL-COMMA-DIFFERENT', category: 'Smuggling', level: 'Must',
    description: "Content-Length with comma-separated different values must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5, 10\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-NOT-FINAL-CHUNKED', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding where chunked is not final \u2014 server MUST respond with 400 (RFC 9112 \u00a76.3)",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-HTTP10', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding in HTTP/1.0 request must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.0\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-BARE-SEMICOLON', category: 'Smuggling', level: 'Must',
    description: "Chunk size with bare semicolon and no extension name must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-EXT-INVALID-TOKEN', category: 'Smuggling', level: 'Must',
    description: "Chunk extension with invalid token character must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;bad[=x\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-BARE-CR-HEADER-VALUE', category: 'Smuggling', level: 'Must',
    description: "Bare CR in header value must be rejected or replaced with SP",
    payload: (host: string) =>
            {
                let request = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nX-Test: val\rue\r\n\r\nhello`;
                return toBytes(request);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-OCTAL', category: 'Smuggling', level: 'Must',
    description: "Content-Length with octal prefix (0o5) must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0o5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-UNDERSCORE', category: 'Smuggling', level: 'Must',
    description: "Chunk size with underscores (1_0) must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\nhello world!!!!!\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-EMPTY-VALUE', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding with empty value must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: \r\nContent-Length: 5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-LEADING-COMMA', category: 'Smuggling', level: 'Should',
    description: "Transfer-Encoding with leading comma (, chunked) \u2014 RFC says empty list elements MUST be ignored",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: , chunked\r\nContent-Length: 5\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9110 §5.6.1: MUST ignore empty list elements — 2xx is compliant
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-TE-DUPLICATE-HEADERS', category: 'Smuggling', level: 'Must',
    description: "Two Transfer-Encoding headers with CL present \u2014 ambiguous framing",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-HEX-PREFIX', category: 'Smuggling', level: 'Must',
    description: "Chunk size with 0x prefix must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-SIZE-PLUS', category: 'Smuggling', level: 'Must',
    description: "Chunk size with leading plus sign must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-SIZE-TRAILING-OWS', category: 'Smuggling', level: 'Must',
    description: "Chunk size with trailing whitespace before CRLF must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-HEX-PREFIX', category: 'Smuggling', level: 'Must',
    description: "Content-Length with hex prefix (0x5) must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0x5\r\n\r\nhello`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-INTERNAL-SPACE', category: 'Smuggling', level: 'Must',
    description: "Content-Length with internal space (1 0) must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1 0\r\n\r\nhello12345`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-LEADING-SP', category: 'Smuggling', level: 'Must',
    description: "Chunk size with leading space must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-MISSING-TRAILING-CRLF', category: 'Smuggling', level: 'Must',
    description: "Chunk data without trailing CRLF must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-EXT-LF', category: 'Smuggling', level: 'May',
    description: "Bare LF in chunk extension \u2014 server MAY accept bare LF per RFC 9112 \u00a72.2",
    payload: (host: string) =>
            {
                // Chunk line: "5;\n" — bare LF in extension area
                let request = `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;\nhello\r\n0\r\n\r\n`;
                return toBytes(request);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9112 §2.2: MAY recognize bare LF as line terminator
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-CHUNK-SPILL', category: 'Smuggling', level: 'Must',
    description: "Chunk declares size 5 but sends 7 bytes \u2014 oversized chunk data must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!!\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-LF-TERM', category: 'Smuggling', level: 'May',
    description: "Bare LF as chunk data terminator \u2014 server MAY accept bare LF per RFC 9112 \u00a72.2",
    payload: (host: string) =>
            {
                // Chunk data terminated with \n instead of \r\n
                let request = `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n`;
                return toBytes(request);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9112 §2.2: MAY recognize bare LF as line terminator
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-CHUNK-EXT-CTRL', category: 'Smuggling', level: 'Must',
    description: "NUL byte in chunk extension must be rejected",
    payload: (host: string) =>
            {
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;`);
                const nul = [0x00];
                let after = toBytes("ext\r\nhello\r\n0\r\n\r\n");
                return concatBytes(before, nul, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-EXT-CR', category: 'Smuggling', level: 'Must',
    description: "Bare CR (not CRLF) in chunk extension \u2014 some parsers treat CR alone as line ending",
    payload: (host: string) =>
            {
                // "5;a\rX\r\n" — the \r after "a" is NOT followed by \n
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;a`);
                const bareCr = [0x0d]; // bare CR
                let after = toBytes("X\r\nhello\r\n0\r\n\r\n");
                return concatBytes(before, bareCr, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-VTAB', category: 'Smuggling', level: 'Must',
    description: "Vertical tab before 'chunked' in TE value \u2014 control char obfuscation vector",
    payload: (host: string) =>
            {
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: `);
                const vtab = [0x0b];
                let after = toBytes("chunked\r\nContent-Length: 5\r\n\r\nhello");
                return concatBytes(before, vtab, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-FORMFEED', category: 'Smuggling', level: 'Must',
    description: "Form feed before 'chunked' in TE value \u2014 control char obfuscation vector",
    payload: (host: string) =>
            {
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: `);
                const ff = [0x0c];
                let after = toBytes("chunked\r\nContent-Length: 5\r\n\r\nhello");
                return concatBytes(before, ff, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-TE-NULL', category: 'Smuggling', level: 'Must',
    description: "NUL byte appended to 'chunked' in TE value \u2014 C-string truncation attack",
    payload: (host: string) =>
            {
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked`);
                const nul = [0x00];
                let after = toBytes("\r\nContent-Length: 5\r\n\r\nhello");
                return concatBytes(before, nul, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-LF-TRAILER', category: 'Smuggling', level: 'May',
    description: "Bare LF in chunked trailer termination \u2014 server MAY accept bare LF per RFC 9112 \u00a72.2",
    payload: (host: string) =>
            {
                // Last CRLF of trailer replaced with bare LF: "0\r\n\n"
                let request = `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\n`;
                return toBytes(request);
            },
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';
                    if (response.status === 400)
                        return 'pass';
                    // RFC 9112 §2.2: MAY recognize bare LF as line terminator
                    if ((response.status >= 200 && response.status < 300))
                        return 'warn';
                    return 'fail';
                },
  },
  {
    id: 'SMUG-TE-IDENTITY', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding: identity (deprecated) with CL must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello`),
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
    id: 'SMUG-CHUNK-NEGATIVE', category: 'Smuggling', level: 'Must',
    description: "Negative chunk size must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-UNDERSCORE', category: 'Smuggling', level: 'Must',
    description: "Content-Length with underscore digit separator (1_0) must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1_0\r\n\r\nhelloworld`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-NEGATIVE-ZERO', category: 'Smuggling', level: 'Must',
    description: "Content-Length: -0 must be rejected \u2014 not valid 1*DIGIT",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -0\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CL-DOUBLE-ZERO', category: 'Smuggling', level: 'Should',
    description: "Content-Length: 00 \u2014 matches 1*DIGIT but leading zero ambiguity",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 00\r\n\r\n`),
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
    id: 'SMUG-CL-LEADING-ZEROS-OCTAL', category: 'Smuggling', level: 'Should',
    description: "Content-Length: 0200 \u2014 octal 128 vs decimal 200, parser disagreement vector",
    payload: (host: string) =>
            {
                // Send exactly 200 bytes of body — if server reads 128 (octal), 72 bytes leak
                let body = 'A'.repeat(200);
                return toBytes(
                    `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0200\r\n\r\n${body}`);
            },
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
    id: 'SMUG-TE-OBS-FOLD', category: 'Smuggling', level: 'Must',
    description: "Transfer-Encoding with obs-fold line wrapping must be rejected",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello`),
    judge: (response, state) =>
                {
                    if (response === null)
                        return state === 'closed' ? 'pass' : 'fail';

                    if (response.status === 400)
                        return 'pass';

                    // RFC 9112 §5.2 permits unfolding obs-fold; if unfolded to TE+CL,
                    // RFC 9112 §6.1 requires closing the connection after responding.
                    if ((response.status >= 200 && response.status < 300))
                        return state === 'closed' ? 'warn' : 'fail';

                    return 'fail';
                },
  },
  {
    id: 'SMUG-TE-TRAILING-COMMA', category: 'Smuggling', level: 'Should',
    description: "Transfer-Encoding: chunked, \u2014 trailing comma produces empty list element",
    payload: (host: string) => toBytes(
                `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked,\r\nContent-Length: 5\r\n\r\nhello`),
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
    id: 'SMUG-MULTIPLE-HOST-COMMA', category: 'Smuggling', level: 'Must',
    description: "Host header with comma-separated values must be rejected",
    payload: (host: string) => toBytes(
                `GET / HTTP/1.1\r\nHost: ${host}, other.example.com\r\n\r\n`),
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CHUNK-BARE-CR-TERM', category: 'Smuggling', level: 'Must',
    description: "Chunk size line terminated by bare CR \u2014 not a valid line terminator",
    payload: (host: string) =>
            {
                // 5\r hello\r\n 0\r\n \r\n — bare CR after chunk size
                let before = toBytes(`POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r`);
                let after = toBytes("hello\r\n0\r\n\r\n");
                return concatBytes(before, after);
            },
    judge: expect([400, 400], { close: true }),
  },
  {
    id: 'SMUG-CLTE-CONN-CLOSE', category: 'Smuggling', level: 'Must',
    description: "CL+TE conflict \u2014 server MUST close connection after responding",
    steps: [
                { label: "Ambiguous POST (CL+TE)", payload: (host: string) => toBytes(
                        `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                // Server rejected the ambiguous request outright
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';

                // Connection closed before or after step 1 response
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';

                // Server returned 2xx — did it close the connection?
                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                {
                    // Connection closed after step 1 → step 2 didn't execute → correct
                    if (!step2.executed)
                        return 'pass';

                    // Step 2 executed → connection was kept open → MUST-close violated
                    return 'fail';
                }

                return 'fail';
            },
  },
  {
    id: 'SMUG-TECL-CONN-CLOSE', category: 'Smuggling', level: 'Must',
    description: "TE+CL conflict (reversed order) \u2014 server MUST close connection after responding",
    steps: [
                { label: "Ambiguous POST (TE+CL)", payload: (host: string) => toBytes(
                        `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                    return !step2.executed ? 'pass' : 'fail';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-DESYNC', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync \u2014 leftover bytes after the body boundary may be interpreted as the next request",
    steps: [
                { label: "Poison POST (CL=6, TE=chunked, extra byte)", payload: (host: string) => toBytes(
                        `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                // Rejected the ambiguous request outright — safe
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';

                // Connection closed — safe
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';

                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                {
                    // Server accepted but closed connection — safe
                    if (!step2.executed)
                        return 'pass';

                    // Step 2 executed. If server got a clean 2xx, it consumed our
                    // GET correctly despite the poison byte — still a MUST-close violation
                    // but not a desync. If step 2 got 400, the poison byte merged
                    // with the GET ("XGET /...") — desync detected.
                    if ((step2.response?.status ?? 0) === 400)
                        return 'fail'; // Desync confirmed

                    // Connection stayed open, step 2 got 2xx — MUST-close violated
                    return 'fail';
                }

                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync \u2014 embedded GET in body; multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                // Multiple status lines in one read means the server executed a second request
                // that the client never "sent" as a separate message.
                if (statusLines >= 2)
                    return 'fail';

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';

                if (!step1.executed || step1.state === 'closed')
                    return 'pass';

                // Server accepted an ambiguous CL+TE request and kept the connection open.
                // RFC 9112 §6.1 says it MUST close the connection after responding.
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-CL-PLUS', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with malformed Content-Length (+N) \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (Content-Length:+N)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: +${cl}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-CL-NON-NUMERIC', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with non-numeric Content-Length (N<alpha>) \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (Content-Length:N<alpha>)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-TE-OBS-FOLD', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with obs-folded Transfer-Encoding \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (folded TE)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: ${cl}\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-HEAD', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync \u2014 embedded HEAD in body; multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded HEAD", payload: (host: string) =>
                    {
                        let smuggled = `HEAD / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';

                if (!step1.executed || step1.state === 'closed')
                    return 'pass';

                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-TE-TRAILING-SPACE', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with TE trailing space \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (TE: chunked<SP>)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: chunked \r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-TE-LEADING-COMMA', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with TE leading comma \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (TE: , chunked)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: , chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CLTE-SMUGGLED-GET-TE-CASE-MISMATCH', category: 'Smuggling', level: 'Must',
    description: "CL.TE desync with TE case mismatch \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with embedded GET (TE: Chunked)", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${cl}\r\nTransfer-Encoding: Chunked\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-TE-DUPLICATE-HEADERS-SMUGGLED-GET', category: 'Smuggling', level: 'Must',
    description: "TE.TE + CL ambiguity with embedded GET \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with duplicate TE + embedded GET", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "0\r\n\r\n" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: ${cl}\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';

                if (!step1.executed || step1.state === 'closed')
                    return 'pass';

                return 'fail';
            },
  },
  {
    id: 'SMUG-TECL-SMUGGLED-GET', category: 'Smuggling', level: 'Must',
    description: "TE.CL desync via chunk-size prefix trick \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST (TE=chunked, CL=prefix, chunk-data begins with GET)", payload: (host: string) =>
                    {
                        // Give the smuggled request a short body so that the remaining chunked framing bytes
                        // are consumed as its body if the server parses it as a second request.
                        let smuggled =
                            `GET / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 7\r\n\r\n`;

                        let chunkSize = Buffer.byteLength(smuggled, 'latin1');
                        let hex = chunkSize.toString(16);

                        // If a parser uses CL framing, read only the "{hex}\r\n" prefix and leave the chunk-data
                        // (which starts with the smuggled GET) on the wire as the next request.
                        let cl = hex.length + 2;

                        let body = `${hex}\r\n${smuggled}\r\n0\r\n\r\n`;

                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: ${cl}\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-DUPLICATE-CL-SMUGGLED-GET', category: 'Smuggling', level: 'Must',
    description: "CL.CL ambiguity with embedded GET \u2014 multiple responses indicate request boundary confusion",
    steps: [
                { label: "Poison POST with duplicate Content-Length + embedded GET", payload: (host: string) =>
                    {
                        let smuggled = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
                        let body = "PING" + smuggled;
                        let cl = Buffer.byteLength(body, 'latin1');
                        return toBytes(
                            `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nContent-Length: ${cl}\r\n\r\n${body}`);
                    }
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let statusLines = countHttpStatusLines(step1.response?.raw ?? "");

                if (statusLines >= 2)
                    return 'fail';
                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                return 'fail';
            },
  },
  {
    id: 'SMUG-TECL-DESYNC', category: 'Smuggling', level: 'Must',
    description: "TE.CL desync \u2014 chunked terminator before CL boundary, leftover bytes smuggled",
    steps: [
                { label: "Poison POST (TE terminates early, CL=30)", payload: (host: string) => toBytes(
                        `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\nX`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                {
                    if (!step2.executed)
                        return 'pass';
                    if ((step2.response?.status ?? 0) === 400)
                        return 'fail'; // Desync confirmed
                    return 'fail'; // MUST-close violated
                }
                return 'fail';
            },
  },
  {
    id: 'SMUG-OPTIONS-TE-OBS-FOLD', category: 'Smuggling', level: 'Must',
    description: "OPTIONS with TE obs-fold and CL present \u2014 server must reject or close after response",
    steps: [
                { label: "OPTIONS with folded TE and CL", payload: (host: string) => toBytes(
                        `OPTIONS / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                    return !step2.executed ? 'pass' : 'fail';
                return 'fail';
            },
  },
  {
    id: 'SMUG-CHUNK-INVALID-SIZE-DESYNC', category: 'Smuggling', level: 'Must',
    description: "Invalid chunk size (+0) with poison byte \u2014 detects chunk-size parser desync",
    steps: [
                { label: "Poison POST with invalid chunk-size (+0)", payload: (host: string) => toBytes(
                        `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n+0\r\n\r\nX`)
                },
                { label: "Follow-up GET", payload: (host: string) => toBytes(
                        `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
                }
            ],
    judgeSteps: steps =>
            {
                let step1 = steps[0];
                let step2 = steps[1];

                if ((step1.response?.status ?? 0) === 400)
                    return 'pass';
                if (!step1.executed || step1.state === 'closed')
                    return 'pass';
                if (((step1.response?.status ?? 0) >= 200 && (step1.response?.status ?? 0) < 300))
                {
                    if (!step2.executed)
                        return 'pass';
                    if ((step2.response?.status ?? 0) === 400)
                        return 'fail';
                    return 'fail';
                }
                return 'fail';
            },
  },
];
