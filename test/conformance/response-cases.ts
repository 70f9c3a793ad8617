/**
 * RFC 9112 response framing cases, run against Outpost's response parser and llhttp side by side
 * (response-parser.conformance.test.ts). `expect` is Outpost's verdict. Where llhttp differs on
 * purpose (it is lenient where Outpost refuses, or keeps a connection Outpost closes), `llhttp`
 * records what llhttp does and `why`: the difference is asserted, so it cannot drift unnoticed.
 */

export interface ResponseCase {
  name: string;
  /** Latin-1 wire bytes, as the backend sends them; the connection closes after them. */
  wire: string;
  /** The request was HEAD (no body follows whatever the head says). */
  head?: boolean;
  expect: 'accept' | 'reject';
  /** Outpost's body, when the case wants it spelled out. */
  body?: string;
  keepAlive?: boolean;
  /** A documented difference: what llhttp does instead. */
  /** A deliberate difference from llhttp; `varies`: llhttp's answer depends on its version (Node 20's and 22's differ), so only Outpost's is asserted. */
  llhttp?: { verdict?: 'accept' | 'reject'; keepAlive?: boolean; varies?: boolean; why: string };
}

const OK = 'HTTP/1.1 200 OK\r\n';

export const RESPONSE_CASES: ResponseCase[] = [
  // Framing by Content-Length
  { name: 'Content-Length body', wire: `${OK}Content-Length: 5\r\n\r\nhello`, expect: 'accept', body: 'hello', keepAlive: true },
  { name: 'Content-Length 0', wire: `${OK}Content-Length: 0\r\n\r\n`, expect: 'accept', body: '', keepAlive: true },
  { name: 'Content-Length with OWS around the value', wire: `${OK}Content-Length:  5 \r\n\r\nhello`, expect: 'accept', body: 'hello' },
  { name: 'duplicate identical Content-Length', wire: `${OK}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, expect: 'accept', body: 'hello',
    llhttp: { verdict: 'reject', why: 'llhttp refuses any duplicate; RFC 9112 §6.3 allows identical duplicates to be merged' } },
  { name: 'duplicate different Content-Length', wire: `${OK}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, expect: 'reject' },
  { name: 'Content-Length list "5, 5"', wire: `${OK}Content-Length: 5, 5\r\n\r\nhello`, expect: 'reject' },
  { name: 'non-numeric Content-Length', wire: `${OK}Content-Length: 5x\r\n\r\nhello`, expect: 'reject' },
  { name: 'negative Content-Length', wire: `${OK}Content-Length: -1\r\n\r\n`, expect: 'reject' },
  { name: 'Content-Length with a plus sign', wire: `${OK}Content-Length: +5\r\n\r\nhello`, expect: 'reject' },
  { name: 'Content-Length followed by HTAB', wire: `${OK}Content-Length: 5\t\r\n\r\nhello`, expect: 'reject',
    llhttp: { varies: true, why: "Node 20's llhttp refuses it, Node 22's trims the HTAB" } },
  { name: 'empty Content-Length', wire: `${OK}Content-Length: \r\n\r\n`, expect: 'reject' },
  { name: 'Content-Length of 16 digits', wire: `${OK}Content-Length: 1000000000000000\r\n\r\n`, expect: 'reject' },
  { name: 'fewer body bytes than declared before close', wire: `${OK}Content-Length: 10\r\n\r\nhello`, expect: 'reject' },
  { name: 'more body bytes than declared on a keep-alive connection', wire: `${OK}Content-Length: 3\r\n\r\nhello`, expect: 'reject' },
  { name: 'more body bytes than declared with Connection: close', wire: `${OK}Content-Length: 3\r\nConnection: close\r\n\r\nhello`, expect: 'reject' },
  { name: 'a second response after the first', wire: `${OK}Content-Length: 1\r\n\r\nx${OK}Content-Length: 1\r\n\r\ny`, expect: 'reject' },

  // Chunked
  { name: 'chunked body', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`, expect: 'accept', body: 'hello world', keepAlive: true },
  { name: 'chunked, upper-case coding name', wire: `${OK}Transfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`, expect: 'accept', body: 'x' },
  { name: 'chunked with extensions', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5;a=b;c="d"\r\nhello\r\n0\r\n\r\n`, expect: 'accept', body: 'hello' },
  { name: 'chunked with a trailer (dropped)', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n\r\n`, expect: 'accept', body: 'x' },
  // Framing fields may not come from trailers (RFC 9110 §6.5.1): refused, as llhttp refuses them.
  { name: 'Content-Length in a trailer', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size not hex', wire: `${OK}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size with a space before CRLF', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size larger than the data', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n6\r\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size smaller than the data', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n4\r\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk data without CRLF', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size line with a bare LF', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunk size overflowing 2^53', wire: `${OK}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'chunked body cut before the last chunk', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, expect: 'reject' },
  { name: 'empty lines after the end and before the head', wire: `\r\n${OK}Content-Length: 1\r\n\r\nx\r\n`, expect: 'accept', body: 'x', keepAlive: true },
  { name: 'bytes after the last chunk', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nextra`, expect: 'reject' },
  { name: 'Transfer-Encoding with Content-Length', wire: `${OK}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, expect: 'reject' },
  { name: 'Transfer-Encoding not ending in chunked', wire: `${OK}Transfer-Encoding: chunked, gzip\r\n\r\nhello`, expect: 'reject',
    llhttp: { verdict: 'accept', keepAlive: false, why: 'llhttp reads a response whose coding is not chunked until close; Outpost refuses (it does not decode other codings)' } },
  { name: 'Transfer-Encoding gzip, chunked', wire: `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`, expect: 'reject',
    llhttp: { verdict: 'accept', why: 'Outpost does not decode transfer codings other than chunked, so it cannot forward one' } },
  { name: 'Transfer-Encoding chunked twice', wire: `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`, expect: 'reject',
    llhttp: { verdict: 'accept', why: 'chunked applied twice would need decoding twice; Outpost refuses' } },
  { name: 'Transfer-Encoding identity', wire: `${OK}Transfer-Encoding: identity\r\n\r\nhello`, expect: 'reject',
    llhttp: { verdict: 'accept', keepAlive: false, why: 'identity is not a registered coding (RFC 9112 §7); Outpost refuses' } },
  { name: 'Transfer-Encoding on HTTP/1.0', wire: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n', expect: 'reject',
    llhttp: { verdict: 'accept', why: 'RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing' } },

  // Close-delimited, keep-alive and versions
  { name: 'no length: body until close', wire: `${OK}Content-Type: text/plain\r\n\r\nuntil close`, expect: 'accept', body: 'until close', keepAlive: false },
  { name: 'Connection: close', wire: `${OK}Connection: close\r\nContent-Length: 2\r\n\r\nok`, expect: 'accept', keepAlive: false },
  { name: 'Connection: keep-alive, Close (token list, any case)', wire: `${OK}Connection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok`, expect: 'accept', keepAlive: false },
  { name: 'Connection: close followed by HTAB (OWS)', wire: `${OK}Connection: close\t\r\nContent-Length: 2\r\n\r\nok`, expect: 'accept', keepAlive: false,
    llhttp: { varies: true, why: 'HTAB is OWS and trimmed; Node 20\'s llhttp does not see "close" and would reuse the connection, Node 22\'s does' } },
  { name: 'Connection value with a stray colon', wire: `${OK}Connection: : close\r\nContent-Length: 2\r\n\r\nok`, expect: 'accept', keepAlive: false,
    llhttp: { keepAlive: true, why: 'Outpost closes when any comma/space-separated part reads "close": closing is always safe' } },
  { name: 'Transfer-Encoding: chunked followed by HTAB', wire: `${OK}Transfer-Encoding: chunked\t\r\n\r\n1\r\nx\r\n0\r\n\r\n`, expect: 'reject',
    llhttp: { verdict: 'accept', keepAlive: false, why: 'llhttp reads "chunked<HTAB>" as an unknown coding (body until close) where the RFC trims the HTAB: the parsers would frame it differently, so Outpost refuses it' } },
  { name: 'HTTP/1.0 with a length', wire: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', expect: 'accept', keepAlive: false },
  { name: 'HTTP/1.0 with Connection: keep-alive', wire: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok', expect: 'accept', keepAlive: false,
    llhttp: { keepAlive: true, why: 'Outpost never reuses an HTTP/1.0 connection' } },
  { name: 'HTTP/1.0 until close', wire: 'HTTP/1.0 200 OK\r\n\r\nbody', expect: 'accept', body: 'body', keepAlive: false },
  { name: 'HTTP/1.1 Keep-Alive hint', wire: `${OK}Keep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n`, expect: 'accept', keepAlive: true },

  // No body
  { name: 'HEAD response with a Content-Length', wire: `${OK}Content-Length: 11\r\n\r\n`, head: true, expect: 'accept', body: '', keepAlive: true },
  { name: 'HEAD response without a length', wire: `${OK}X-A: 1\r\n\r\n`, head: true, expect: 'accept', body: '', keepAlive: true,
    llhttp: { keepAlive: false, why: 'llhttp decides keep-alive before it is told no body follows a HEAD; nothing follows, so Outpost keeps the connection' } },
  { name: 'HEAD response with chunked', wire: `${OK}Transfer-Encoding: chunked\r\n\r\n`, head: true, expect: 'accept', body: '' },
  { name: '204 with no length', wire: 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', expect: 'accept', body: '', keepAlive: true },
  { name: '304 with a Content-Length', wire: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', expect: 'accept', body: '', keepAlive: true },
  { name: '204 followed by body bytes', wire: 'HTTP/1.1 204 No Content\r\n\r\nhello', expect: 'reject' },

  // Interim responses
  { name: '100 Continue then the response', wire: `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, expect: 'accept', body: 'ok' },
  { name: '103 Early Hints then the response', wire: `HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, expect: 'accept', body: 'ok' },
  { name: 'two interim responses', wire: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${OK}Content-Length: 0\r\n\r\n`, expect: 'accept' },
  { name: '101 Switching Protocols', wire: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n', expect: 'reject' },
  { name: 'interim response with Connection: close', wire: `HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n${OK}Content-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'only an interim response', wire: 'HTTP/1.1 100 Continue\r\n\r\n', expect: 'reject' },

  // Status line
  { name: 'status line without reason', wire: 'HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n', expect: 'accept' },
  { name: 'status line without the SP before an empty reason', wire: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', expect: 'accept' },
  { name: 'reason with obs-text', wire: 'HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n', expect: 'accept' },
  { name: 'two-digit status', wire: 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'four-digit status', wire: 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'status 099', wire: 'HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'lower-case protocol name', wire: 'http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'HTTP/2.0 version', wire: 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject',
    llhttp: { verdict: 'accept', keepAlive: true, why: 'an HTTP/1.1 connection only carries HTTP/1.x responses' } },
  { name: 'HTTP/1.2 version', wire: 'HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'two spaces after the version', wire: 'HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'reason with a control byte', wire: 'HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n', expect: 'reject',
    llhttp: { verdict: 'accept', keepAlive: true, why: 'reason-phrase is HTAB / SP / VCHAR / obs-text (RFC 9112 §4); Outpost refuses control bytes anywhere in a head' } },
  { name: 'bare CRs at the end of the status line', wire: 'HTTP/1.1 200 OK\r\r\r\nContent-Length: 0\r\n\r\n', expect: 'reject',
    llhttp: { varies: true, why: 'Node 20\'s llhttp skips "\\r\\r" before CRLF (Node 22\'s refuses it, as Outpost does); a bare CR is never a line ending (RFC 9112 §2.2)' } },
  { name: 'bare CR at the end of the status line', wire: 'HTTP/1.1 200 OK\r\r\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'status line ending in a bare LF', wire: 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', expect: 'reject' },
  { name: 'garbage instead of a response', wire: 'hello world\r\n\r\n', expect: 'reject' },
  { name: 'nothing before close', wire: '', expect: 'reject' },
  { name: 'head cut before its end', wire: `${OK}Content-Length: 5\r\n`, expect: 'reject' },

  // Header fields
  { name: 'many ordinary fields, values kept byte for byte', wire: `${OK}X-A: 1\r\nX-B:two  words\r\nx-c:\t\r\nSet-Cookie: a=b; Path=/\r\nContent-Length: 0\r\n\r\n`, expect: 'accept' },
  { name: 'obs-text in a value', wire: `${OK}X-A: caf\xe9\r\nContent-Length: 0\r\n\r\n`, expect: 'accept' },
  { name: 'obs-fold', wire: `${OK}X-A: one\r\n two\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'space before the colon', wire: `${OK}X-A : 1\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'space before Content-Length\'s colon', wire: `${OK}Content-Length : 5\r\n\r\nhello`, expect: 'reject' },
  { name: 'empty field name', wire: `${OK}: 1\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'non-token byte in a name', wire: `${OK}X(A): 1\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'NUL in a value', wire: `${OK}X-A: a\x00b\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'bare CR in a value', wire: `${OK}X-A: a\rb\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'field line ending in a bare LF', wire: `${OK}X-A: 1\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'line without a colon', wire: `${OK}X-A\r\nContent-Length: 0\r\n\r\n`, expect: 'reject' },
  { name: 'head ending in LF LF', wire: 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', expect: 'reject' },
];
