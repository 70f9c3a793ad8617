/**
 * The proxy exchanges write the backend's fields into the client's head as bytes, from the read
 * buffer they were parsed in (ProxyExchange.keepFieldsAsBytes, ClientResponse.writeFields),
 * unless something reads them first (an outbound section: they become text then). The read
 * buffer is the worker's, shared by every backend connection, so these tests hold the head to
 * the backend's fields however its bytes arrive: with the body, before it (the fields become
 * text when the read ends: readDone), split over reads, with another backend's answer read in
 * between, for answers without a body, and through operations with policies. Each answer is
 * read on a raw socket, and the field lines are compared byte for byte.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startRawBackend, type RawBackend, type RawRequest } from '../support/raw-backend.js';
import { ResponseReader, type Answer } from '../support/response-reader.js';

/** Field lines of the backend's answers, some in unusual but valid shapes (no space after the colon, OWS around the value, obs-text). */
const FIELDS = Buffer.concat([
  Buffer.from('X-First:one\r\nServer: raw-backend\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nX-Spaced: \t two words \t\r\n', 'latin1'),
  Buffer.from('Set-Cookie: a=1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: dropped\r\nKeep-Alive: timeout=30\r\n', 'latin1'),
  Buffer.from('X-Bytes: caf', 'latin1'), Buffer.from([0xc3, 0xa9]), Buffer.from('\r\nSet-Cookie: b=2\r\nX-Request-Id: from-backend\r\n', 'latin1'),
]);
/** The field lines the client must get from FIELDS: in order, values trimmed, one space after the colon; Date, Connection, what it names, Keep-Alive and the backend's X-Request-Id are the gateway's. */
const EXPECTED_LINES = [
  'X-First: one', 'Server: raw-backend', 'X-Spaced: two words', 'Set-Cookie: a=1',
  `X-Bytes: caf${Buffer.from([0xc3, 0xa9]).toString('latin1')}`, 'Set-Cookie: b=2',
];
/** Another backend answer's fields, read between the first's head and body. */
const OTHER_FIELDS = Buffer.from('X-Other: 0123456789abcdefghijklmnopqrstuvwxyz\r\nServer: other-backend-with-a-longer-name\r\n', 'latin1');

const head = (status: string, framing: string, fields: Buffer = FIELDS): Buffer =>
  Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\n${framing}`, 'latin1'), fields, Buffer.from('\r\n', 'latin1')]);

const later = (socket: Socket, ms: number, bytes: Buffer | string): void => {
  setTimeout(() => { if (!socket.destroyed) socket.write(bytes); }, ms);
};

/** How the backend writes each path's answer. */
function answer(req: RawRequest, socket: Socket): void {
  const path = req.path.replace(/^\/fields/, '');
  switch (path) {
    case '/together': socket.write(Buffer.concat([head('200 OK', 'Content-Length: 5\r\n'), Buffer.from('hello')])); return;
    case '/head-first': socket.write(head('200 OK', 'Content-Length: 5\r\n')); later(socket, 150, 'hello'); return;
    case '/chunked-partial':
      // The head and the first chunk's size line cut short: no body byte in the head's read.
      socket.write(Buffer.concat([head('200 OK', 'Transfer-Encoding: chunked\r\n'), Buffer.from('5')]));
      later(socket, 150, '\r\nhello\r\n0\r\n\r\n');
      return;
    case '/split-head': {
      const whole = Buffer.concat([head('200 OK', 'Content-Length: 5\r\n'), Buffer.from('hello')]);
      socket.write(whole.subarray(0, 40));
      later(socket, 60, whole.subarray(40, 90));
      later(socket, 120, whole.subarray(90));
      return;
    }
    case '/other': socket.write(Buffer.concat([head('200 OK', 'Content-Length: 3\r\n', OTHER_FIELDS), Buffer.from('abc')])); return;
    case '/empty': socket.write(head('204 No Content', '')); return;
    case '/not-modified': socket.write(head('304 Not Modified', 'Content-Length: 5\r\n')); return;
    default: socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  }
}

/** One keep-alive connection to the gateway: send() a request, then next() its answer. */
class Client extends ResponseReader {
  constructor(port: number) { super(connect(port, '127.0.0.1')); }

  send(method: string, path: string): void {
    this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  }
}

/** `path`'s answer on a connection of its own. */
async function askOnce(port: number, path: string): Promise<Answer> {
  const c = new Client(port);
  try {
    c.send('GET', path);
    return await c.next();
  } finally { c.close(); }
}

/** The backend's field lines in an answer: every line but the gateway's own framing, Date and correlation id. */
function backendLines(a: Answer): string[] {
  return a.lines.filter((l) => !/^(date|content-length|transfer-encoding|x-request-id|connection):/i.test(l));
}

/** A 200 carrying FIELDS as EXPECTED_LINES and the body `hello`. */
function assertBackendAnswer(a: Answer): void {
  assert.equal(a.status, 200);
  assert.deepEqual(backendLines(a), EXPECTED_LINES);
  assert.equal(a.body, 'hello');
}

const OTHER_LINES = ['X-Other: 0123456789abcdefghijklmnopqrstuvwxyz', 'Server: other-backend-with-a-longer-name'];

/** `path`'s answer, with another backend's answer read through the same worker while it is under way (asked 50 ms after it). */
async function withAnotherBetween(port: number, path: string): Promise<Answer> {
  const c = new Client(port);
  const other = new Client(port);
  try {
    c.send('GET', path);
    await new Promise((r) => setTimeout(r, 50));
    other.send('GET', '/fields/other');
    const o = await other.next();
    assert.deepEqual(backendLines(o), OTHER_LINES);
    assert.equal(o.body, 'abc');
    return await c.next();
  } finally { c.close(); other.close(); }
}

describe('the backend\'s fields go to the client as bytes', () => {
  let backend: RawBackend;
  let gw: GatewayProcess;
  before(async () => {
    backend = await startRawBackend(answer);
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      apis: [{
        id: 'fields', name: 'Fields', path: 'fields', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          // Inbound policies only: nothing reads the backend's fields, so they go out as bytes too, before the policy's own header.
          {
            id: 'inbound', method: 'GET', urlTemplate: '/inbound/{path}',
            policies: `<policies><inbound><rewrite-uri template="/{path}" />
              <rate-limit-by-key calls="1000" renewal-period="60" counter-key="@(context.Request.IpAddress)" remaining-calls-header-name="x-remaining" />
              <set-header name="x-to-backend" exists-action="override"><value>1</value></set-header></inbound></policies>`,
          },
          // An outbound section reads the fields: they become text (with the names policies see) before the head is written.
          {
            id: 'outbound', method: 'GET', urlTemplate: '/outbound/{path}',
            policies: `<policies><inbound><rewrite-uri template="/{path}" /></inbound><outbound>
              <set-header name="x-copy" exists-action="override"><value>@(context.Response.Headers.GetValueOrDefault("x-first",""))</value></set-header>
              </outbound></policies>`,
          },
          { id: 'get', method: 'GET', urlTemplate: '/*' },
          { id: 'head', method: 'HEAD', urlTemplate: '/*' },
        ],
      }],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('head and body in one read: the kept fields in order, values trimmed, one space after the colon, obs-text as sent', async () => {
    const a = await askOnce(gw.port, '/fields/together');
    assertBackendAnswer(a);
    // The gateway's own: its Date (not the backend's), its length, one correlation id (not the backend's).
    assert.equal(a.lines.filter((l) => /^date:/i.test(l)).length, 1);
    assert.ok(!a.raw.includes('Mon, 01 Jan 2024'));
    assert.deepEqual(a.lines.filter((l) => /^content-length:/i.test(l)), ['Content-Length: 5']);
    const ids = a.lines.filter((l) => /^x-request-id:/i.test(l));
    assert.equal(ids.length, 1);
    assert.ok(!ids[0].includes('from-backend'));
    assert.ok(!a.raw.includes('X-Hop') && !a.raw.includes('timeout=30'));
  });

  test('the head before its body, with another backend\'s answer read in between: the first answer keeps its own fields', async () => {
    const a = await withAnotherBetween(gw.port, '/fields/head-first');
    assertBackendAnswer(a);
  });

  test('a chunked answer whose head\'s read holds no body byte: fields intact, re-framed chunked', async () => {
    const a = await withAnotherBetween(gw.port, '/fields/chunked-partial');
    assertBackendAnswer(a);
    assert.ok(a.lines.includes('Transfer-Encoding: chunked'));
  });

  test('a head split over three reads', async () => {
    assertBackendAnswer(await askOnce(gw.port, '/fields/split-head'));
  });

  test('answers without a body (HEAD, 204, 304) carry the fields; one connection alternates with other answers and nothing leaks between them', async () => {
    const c = new Client(gw.port);
    try {
      for (let round = 0; round < 3; round++) {
        c.send('HEAD', '/fields/together');
        const h = await c.next(true);
        assert.equal(h.status, 200);
        assert.deepEqual(backendLines(h), EXPECTED_LINES);
        assert.ok(h.lines.includes('Content-Length: 5'), 'a HEAD states the length a GET would have');
        c.send('GET', '/fields/other');
        const o = await c.next();
        assert.deepEqual(backendLines(o), OTHER_LINES);
        c.send('GET', '/fields/empty');
        const e = await c.next(true);
        assert.equal(e.status, 204);
        assert.deepEqual(backendLines(e), EXPECTED_LINES);
        assert.ok(!e.lines.some((l) => /^content-length:/i.test(l)), '204 has no Content-Length');
        c.send('GET', '/fields/not-modified');
        const n = await c.next(true);
        assert.equal(n.status, 304);
        assert.deepEqual(backendLines(n), EXPECTED_LINES);
      }
      // The connection is still in step: one more ordinary answer.
      c.send('GET', '/fields/together');
      assert.equal((await c.next()).body, 'hello');
    } finally { c.close(); }
  });

  test('inbound policies only: the fields as bytes, then the policy\'s header; with the body and before it', async () => {
    const a = await askOnce(gw.port, '/fields/inbound/together');
    assert.equal(a.status, 200);
    const lines = backendLines(a);
    assert.deepEqual(lines.slice(0, EXPECTED_LINES.length), EXPECTED_LINES);
    assert.equal(lines.length, EXPECTED_LINES.length + 1);
    assert.match(lines[EXPECTED_LINES.length], /^x-remaining: \d+$/i);
    assert.equal(a.body, 'hello');
    const b = await withAnotherBetween(gw.port, '/fields/inbound/head-first');
    const slowLines = backendLines(b);
    assert.deepEqual(slowLines.slice(0, EXPECTED_LINES.length), EXPECTED_LINES);
    assert.match(slowLines[EXPECTED_LINES.length], /^x-remaining: \d+$/i);
    assert.equal(b.body, 'hello');
    assert.ok(backend.requests.some((r) => r.path === '/head-first' && /\r\nx-to-backend: 1/i.test(r.head)));
  });

  test('an outbound section reads the fields: the same fields reach the client, and the policy saw them, with the head before its body', async () => {
    const a = await withAnotherBetween(gw.port, '/fields/outbound/head-first');
    assert.equal(a.status, 200);
    // Policies see names in lower case; field names are case-insensitive, so compare them so.
    const lower = (l: string): string => l.replace(/^[^:]+/, (n) => n.toLowerCase());
    const lines = backendLines(a).map(lower);
    assert.deepEqual(lines.filter((l) => !l.startsWith('x-copy:')), EXPECTED_LINES.map(lower));
    assert.ok(lines.includes('x-copy: one'), `x-copy: ${JSON.stringify(lines)}`);
    assert.equal(a.body, 'hello');
  });
});
