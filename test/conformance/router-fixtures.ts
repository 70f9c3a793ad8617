/**
 * Raw (unvalidated) configs the router cases run against. Each is validated by the suite first, so
 * a fixture the schema rejects fails loudly instead of testing nothing.
 */
const SERVICE = 'http://127.0.0.1:9';

const op = (id: string, method: string, urlTemplate: string) => ({ id, method, urlTemplate });
const api = (id: string, path: string, operations: object[], extra: object = {}) =>
  ({ id, name: id, path, serviceUrl: SERVICE, operations, ...extra });

/** Precedence, suffixes, root API, methods, encodings. */
const main = {
  apis: [
    api('root', '', [
      op('root-index', 'GET', '/'),
      op('root-health', 'GET', '/health'),
      op('root-files', '*', '/files/*'),
      op('root-deep', 'GET', '/a/b/c/{x}/deep'),
    ]),
    api('a', 'a', [op('a-only', 'GET', '/only-a'), op('a-x', 'GET', '/x/{id}')]),
    api('ab', '/a/b/', [op('ab-items', 'GET', '/items'), op('ab-c-name', 'GET', '/c/{name}')]),
    api('abc', 'a/b/c', [op('abc-leaf', 'GET', '/leaf')]),
    api('users', 'users', [
      op('users-list', 'GET', '/'),
      op('users-create', 'post', '/'), // lowercase method in the input: accepted as POST
      op('users-me', 'GET', '/me'),
      op('users-me-settings', 'GET', '/me/settings'),
      op('users-static', 'GET', '/static/*'),
      op('users-get', 'GET', '/{id}'),
      op('users-put', 'PUT', '/{id}'),
      op('users-post', 'GET', '/{id}/posts/{postId}'),
      op('users-post-latest', 'GET', '/{id}/posts/latest'),
      op('users-any', 'GET', '/{id}/*'),
      op('users-admin-any', '*', '/{id}/admin'),
      op('users-avatar-get', 'GET', '/{id}/avatar'),
      op('users-avatar-head', 'HEAD', '/{id}/avatar'),
      op('users-file', 'GET', '/files/my%20file.txt'),
    ]),
    api('echo', 'echo', [op('echo-all', '*', '/*')]),
    api('admin', 'admin', [op('admin-index', 'GET', '/')]),
    api('v1-orders', 'V1/Orders', [op('orders-get', 'GET', '/{orderId}'), op('orders-lines', 'GET', '/{orderId}/lines/*')]),
  ],
};

/** The same suffix served per host, plus host-specific APIs at other suffixes. */
const hosts = {
  apis: [
    api('svc-public', 'svc', [op('pub-info', 'GET', '/info'), op('pub-common', 'GET', '/common')]),
    api('svc-internal', 'svc', [op('int-info', 'GET', '/info')], { hostnames: ['internal.example.com', 'INTRA.example.com'] }),
    api('svc-other', 'svc', [op('other-info', 'GET', '/info')], { hostnames: ['other.example.com'] }),
    api('svc-v2-internal', 'svc/v2', [op('v2-x', 'GET', '/x')], { hostnames: ['internal.example.com'] }),
    api('root-internal', '', [op('ping', 'GET', '/ping')], { hostnames: ['internal.example.com'] }),
  ],
};

/** A HEAD request where both a GET and a `*` operation of the same shape accept it. */
const headFallback = {
  apis: [
    api('get-first', 'g', [op('g-get', 'GET', '/r'), op('g-any', '*', '/r')]),
    api('any-first', 'h', [op('h-any', '*', '/r'), op('h-get', 'GET', '/r')]),
  ],
};

/** Inputs the schema accepts but the compiled table routes differently from the contract. */
const quirks = {
  apis: [
    api('unicode', 'u', [op('u-upper', 'GET', '/%C3%84rger')]),
    api('slash', 'a%2Fb', [op('slash-x', 'GET', '/x'), op('slash-y', 'GET', '/y')]),
  ],
};

/** Sixty APIs with near-identical names and shapes. */
const many = {
  apis: Array.from({ length: 60 }, (_, i) => {
    const n = String(i).padStart(2, '0');
    return api(`svc-${n}`, `svc-${n}`, [
      op(`svc-${n}-item`, 'GET', '/items/{id}'),
      op(`svc-${n}-sub`, 'GET', `/items/{id}/sub-${n}`),
    ]);
  }),
};

/** Parameters inside a segment, as OpenAPI documents write them (`/{Sid}.json`). */
const patterns = {
  apis: [
    api('tw', 'twilio', [
      op('calls-json', 'GET', '/Accounts/{Sid}/Calls.json'),
      op('call-json', 'GET', '/Accounts/{AccountSid}/Calls/{Sid}.json'),
      op('call-any', 'GET', '/Accounts/{AccountSid}/Calls/{Sid}'),
      op('call-static', 'GET', '/Accounts/{AccountSid}/Calls/latest.json'),
      op('version', 'GET', '/v{major}.{minor}/info'),
      op('file-ext', 'GET', '/files/{name}.{ext}'),
      op('file-tar', 'GET', '/files/{name}.tar.gz'),
      op('report', 'GET', '/reports/report-{id}'),
      op('report-any', 'GET', '/reports/{id}/*'),
    ]),
  ],
};

export const FIXTURES = { main, hosts, headFallback, quirks, many, patterns } as const;
export type FixtureName = keyof typeof FIXTURES;
