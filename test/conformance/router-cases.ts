/**
 * The one case table both routers run (DESIGN rule 8). A case names a fixture, a request and the
 * expected outcome: [api id, operation id, params] for a match, null for 404, 'bad-path' for a
 * path the gateway refuses before routing. `knownBug` marks a case where the compiled table is
 * known to disagree with the contract: it still runs against the table, as a todo.
 */
import type { FixtureName } from './router-fixtures.js';

export interface RouterCase {
  name: string;
  fixture: FixtureName;
  host?: string;
  method?: string;
  path: string;
  expect: [api: string, op: string, params?: Record<string, string>] | null | 'bad-path';
  knownBug?: string;
}

const c = (fixture: FixtureName, name: string, method: string, path: string, expect: RouterCase['expect'], host = ''): RouterCase =>
  ({ fixture, name, method, path, expect, host });

export const ROUTER_CASES: RouterCase[] = [
  // statics and params
  c('main', 'static under suffix', 'GET', '/users/me', ['users', 'users-me']),
  c('main', 'two statics', 'GET', '/users/me/settings', ['users', 'users-me-settings']),
  c('main', 'param', 'GET', '/users/42', ['users', 'users-get', { id: '42' }]),
  c('main', 'param keeps its case', 'GET', '/users/AbC', ['users', 'users-get', { id: 'AbC' }]),
  c('main', 'two params', 'GET', '/users/7/posts/99', ['users', 'users-post', { id: '7', postId: '99' }]),
  c('main', 'static after param beats param after param', 'GET', '/users/7/posts/latest', ['users', 'users-post-latest', { id: '7' }]),
  c('main', 'suffix root operation', 'GET', '/users', ['users', 'users-list']),
  c('main', 'unknown segment under API with no fallback', 'GET', '/a/nope', null),
  // wildcards
  c('main', 'wildcard, one segment', 'GET', '/users/7/photos', ['users', 'users-any', { id: '7' }]),
  c('main', 'wildcard, many segments', 'GET', '/users/7/photos/2024/01/a.jpg', ['users', 'users-any', { id: '7' }]),
  c('main', 'wildcard, zero segments', 'GET', '/files', ['root', 'root-files']),
  c('main', 'wildcard at suffix root, zero segments', 'DELETE', '/echo', ['echo', 'echo-all']),
  c('main', 'wildcard at suffix root, many segments', 'POST', '/echo/x/y/z', ['echo', 'echo-all']),
  c('main', 'param ending exactly beats wildcard matching zero', 'GET', '/users/7', ['users', 'users-get', { id: '7' }]),
  c('main', 'static then zero-segment wildcard beats param', 'GET', '/users/static', ['users', 'users-static']),
  c('main', 'static then wildcard, deep', 'GET', '/users/static/css/a.css', ['users', 'users-static']),
  // backtracking
  c('main', 'static dead end backtracks to param', 'GET', '/users/me/posts/5', ['users', 'users-post', { id: 'me', postId: '5' }]),
  c('main', 'static dead end backtracks to param then wildcard', 'GET', '/users/me/other/deep', ['users', 'users-any', { id: 'me' }]),
  c('main', 'static path with wrong method backtracks to param', 'PUT', '/users/me', ['users', 'users-put', { id: 'me' }]),
  c('main', 'more specific path with * method beats wildcard with exact method', 'GET', '/users/7/admin', ['users', 'users-admin-any', { id: '7' }]),
  // overlapping suffixes and fallback
  c('main', 'longest suffix a/b/c', 'GET', '/a/b/c/leaf', ['abc', 'abc-leaf']),
  c('main', 'suffix a/b', 'GET', '/a/b/items', ['ab', 'ab-items']),
  c('main', 'suffix a', 'GET', '/a/only-a', ['a', 'a-only']),
  c('main', 'a/b/c has no op: falls back to a/b', 'GET', '/a/b/c/other', ['ab', 'ab-c-name', { name: 'other' }]),
  c('main', 'a/b and a/b/c have no op: falls back to a', 'GET', '/a/x/1', ['a', 'a-x', { id: '1' }]),
  c('main', 'falls back through every suffix to the root API', 'GET', '/a/b/c/q/deep', ['root', 'root-deep', { x: 'q' }]),
  c('main', 'no suffix has the op', 'GET', '/a/b/c/q/shallow', null),
  c('main', 'suffix must be whole segments', 'GET', '/usersx', null),
  // root API
  c('main', 'root', 'GET', '/', ['root', 'root-index']),
  c('main', 'empty path is root', 'GET', '', ['root', 'root-index']),
  c('main', 'root API static', 'GET', '/health', ['root', 'root-health']),
  c('main', 'unknown top segment', 'GET', '/nothing', null),
  // methods
  c('main', 'exact method', 'POST', '/users', ['users', 'users-create']),
  c('main', 'no op for the method', 'DELETE', '/users/42', null),
  c('main', 'HEAD uses GET', 'HEAD', '/users/42', ['users', 'users-get', { id: '42' }]),
  c('main', 'HEAD prefers the exact HEAD op', 'HEAD', '/users/42/avatar', ['users', 'users-avatar-head', { id: '42' }]),
  c('main', 'GET next to a HEAD op', 'GET', '/users/42/avatar', ['users', 'users-avatar-get', { id: '42' }]),
  c('main', 'HEAD uses GET on a static', 'HEAD', '/users/me', ['users', 'users-me']),
  c('main', 'known method with no op anywhere', 'OPTIONS', '/users', null),
  c('main', 'unknown method matches *', 'PROPFIND', '/users/42/admin', ['users', 'users-admin-any', { id: '42' }]),
  c('main', 'unknown method matches nothing else', 'PROPFIND', '/users/42', null),
  c('main', 'methods are case-sensitive: "get" is not GET', 'get', '/users/42', null),
  c('main', 'lowercase method still matches *', 'get', '/echo/x', ['echo', 'echo-all']),
  c('headFallback', 'HEAD with GET and * of one shape: GET first in config', 'HEAD', '/g/r', ['get-first', 'g-get']),
  c('headFallback', 'HEAD with GET and * of one shape: * first in config', 'HEAD', '/h/r', ['any-first', 'h-any']),
  c('headFallback', 'exact GET beats an earlier *', 'GET', '/h/r', ['any-first', 'h-get']),
  // case-insensitivity
  c('main', 'upper-case suffix and static', 'GET', '/USERS/ME', ['users', 'users-me']),
  c('main', 'mixed-case nested suffix', 'GET', '/A/b/C/LeAf', ['abc', 'abc-leaf']),
  c('main', 'upper-case config suffix, lower-case request', 'GET', '/v1/orders/o-1', ['v1-orders', 'orders-get', { orderId: 'o-1' }]),
  c('main', 'upper-case config suffix, wildcard', 'GET', '/V1/ORDERS/o-1/lines/3', ['v1-orders', 'orders-lines', { orderId: 'o-1' }]),
  // encoded paths
  c('main', '%20 decodes inside a param', 'GET', '/users/john%20doe', ['users', 'users-get', { id: 'john doe' }]),
  c('main', '%20 in a request matches %20 in a template', 'GET', '/users/files/my%20file.txt', ['users', 'users-file']),
  c('main', 'encoded static segment', 'GET', '/users/%6De', ['users', 'users-me']),
  c('main', 'encoded suffix', 'GET', '/%75sers/me', ['users', 'users-me']),
  c('main', '%2F stays inside one param', 'GET', '/users/a%2Fb', ['users', 'users-get', { id: 'a/b' }]),
  c('main', '%2F stays inside one segment, then more', 'GET', '/users/a%2Fb/posts/1', ['users', 'users-post', { id: 'a/b', postId: '1' }]),
  c('main', '%2F does not split a static', 'GET', '/users/me%2Fsettings', ['users', 'users-get', { id: 'me/settings' }]),
  c('main', '%2e%2e is a dot segment', 'GET', '/users/42/%2e%2e/me', ['users', 'users-me']),
  c('main', '%2E%2E upper-case too', 'GET', '/users/42/%2E%2E/me/settings', ['users', 'users-me-settings']),
  c('main', 'single dot is dropped', 'GET', '/users/./me/.', ['users', 'users-me']),
  c('main', '/echo/../admin routes to admin, not echo', 'GET', '/echo/../admin', ['admin', 'admin-index']),
  c('main', '/echo/%2e%2e/x cannot reach echo ops', 'GET', '/echo/%2e%2e/nothing', null),
  c('main', '/echo/.. is the root', 'GET', '/echo/..', ['root', 'root-index']),
  c('main', '..%2F is an encoded traversal: refused', 'GET', '/echo/..%2Fadmin', 'bad-path'),
  c('main', '..%5C is an encoded traversal: refused', 'GET', '/echo/..%5Cadmin', 'bad-path'),
  c('main', 'a raw backslash next to a dot segment: refused', 'GET', '/echo/a\\..\\admin', 'bad-path'),
  c('main', '..;params: refused', 'GET', '/echo/..;x/admin', 'bad-path'),
  c('main', '.;params: refused', 'GET', '/echo/.;x/admin', 'bad-path'),
  c('main', 'dots inside a name are text', 'GET', '/echo/a..b', ['echo', 'echo-all']),
  c('main', '.. above the root stays at the root', 'GET', '/../../a/only-a', ['a', 'a-only']),
  c('main', 'bad percent-encoding', 'GET', '/users/%zz', 'bad-path'),
  c('main', 'invalid UTF-8', 'GET', '/users/%ff', 'bad-path'),
  // trailing slashes and empty segments
  c('main', 'trailing slash on suffix root', 'GET', '/users/', ['users', 'users-list']),
  c('main', 'trailing slash after static', 'GET', '/users/me/', ['users', 'users-me']),
  c('main', 'trailing slash after nested suffix op', 'GET', '/a/b/items/', ['ab', 'ab-items']),
  c('main', 'double slash', 'GET', '//users//42', ['users', 'users-get', { id: '42' }]),
  c('main', 'only slashes', 'GET', '///', ['root', 'root-index']),
  // hostnames
  c('hosts', 'host-less API for no host', 'GET', '/svc/info', ['svc-public', 'pub-info']),
  c('hosts', 'host-specific beats host-less at one suffix', 'GET', '/svc/info', ['svc-internal', 'int-info'], 'internal.example.com'),
  c('hosts', 'second host name of an API', 'GET', '/svc/info', ['svc-internal', 'int-info'], 'intra.example.com'),
  c('hosts', 'host compared case-insensitively', 'GET', '/svc/info', ['svc-internal', 'int-info'], 'Internal.Example.COM'),
  c('hosts', 'another host-specific API at the same suffix', 'GET', '/svc/info', ['svc-other', 'other-info'], 'other.example.com'),
  c('hosts', 'unknown host gets the host-less API', 'GET', '/svc/info', ['svc-public', 'pub-info'], 'unknown.example.com'),
  c('hosts', 'host-specific API without the op falls back to host-less', 'GET', '/svc/common', ['svc-public', 'pub-common'], 'internal.example.com'),
  c('hosts', 'longer host-specific suffix for its host', 'GET', '/svc/v2/x', ['svc-v2-internal', 'v2-x'], 'internal.example.com'),
  c('hosts', 'longer host-specific suffix skipped for other hosts', 'GET', '/svc/v2/x', null, 'other.example.com'),
  c('hosts', 'host-specific root API', 'GET', '/ping', ['root-internal', 'ping'], 'internal.example.com'),
  c('hosts', 'host-specific root API, unknown host', 'GET', '/ping', null, 'unknown.example.com'),
  c('hosts', 'host names are not suffix-matched', 'GET', '/ping', null, 'x.internal.example.com'),
  // many APIs
  c('many', 'first of sixty', 'GET', '/svc-00/items/1', ['svc-00', 'svc-00-item', { id: '1' }]),
  c('many', 'middle of sixty', 'GET', '/svc-37/items/abc/sub-37', ['svc-37', 'svc-37-sub', { id: 'abc' }]),
  c('many', 'last of sixty', 'GET', '/SVC-59/items/z', ['svc-59', 'svc-59-item', { id: 'z' }]),
  c('many', 'another API\'s sub-path does not match', 'GET', '/svc-37/items/abc/sub-38', null),
  c('many', 'sixty-first does not exist', 'GET', '/svc-60/items/1', null),
  // parameters inside a segment
  c('patterns', 'pattern segment', 'GET', '/twilio/Accounts/AC1/Calls/CA9.json', ['tw', 'call-json', { AccountSid: 'AC1', Sid: 'CA9' }]),
  c('patterns', 'pattern literals fold ASCII case; values keep theirs', 'GET', '/twilio/Accounts/AC1/Calls/Ca9.JSON', ['tw', 'call-json', { AccountSid: 'AC1', Sid: 'Ca9' }]),
  c('patterns', 'no literal: the whole-segment param', 'GET', '/twilio/Accounts/AC1/Calls/CA9', ['tw', 'call-any', { AccountSid: 'AC1', Sid: 'CA9' }]),
  c('patterns', 'a pattern parameter takes at least one character', 'GET', '/twilio/Accounts/AC1/Calls/.json', ['tw', 'call-any', { AccountSid: 'AC1', Sid: '.json' }]),
  c('patterns', 'static beats pattern', 'GET', '/twilio/Accounts/AC1/Calls/latest.json', ['tw', 'call-static', { AccountSid: 'AC1' }]),
  c('patterns', 'pattern as a middle-level static', 'GET', '/twilio/Accounts/AC1/Calls.json', ['tw', 'calls-json', { Sid: 'AC1' }]),
  c('patterns', 'two parameters in a segment', 'GET', '/twilio/v2.10/info', ['tw', 'version', { major: '2', minor: '10' }]),
  c('patterns', 'a pattern that does not fit is no match', 'GET', '/twilio/v2/info', null),
  c('patterns', 'more literal characters win', 'GET', '/twilio/files/a.b.tar.gz', ['tw', 'file-tar', { name: 'a.b' }]),
  c('patterns', 'shortest first parameter', 'GET', '/twilio/files/a.b.c', ['tw', 'file-ext', { name: 'a', ext: 'b.c' }]),
  c('patterns', 'literals match the decoded segment', 'GET', '/twilio/files/x%2Ey', ['tw', 'file-ext', { name: 'x', ext: 'y' }]),
  c('patterns', 'prefix literal', 'GET', '/twilio/reports/report-2024-01', ['tw', 'report', { id: '2024-01' }]),
  c('patterns', 'prefix literal with nothing after it falls back to the param', 'GET', '/twilio/reports/report-/x', ['tw', 'report-any', { id: 'report-' }]),
  c('patterns', 'pattern without a deeper match backtracks to the param', 'GET', '/twilio/reports/report-7/x', ['tw', 'report-any', { id: 'report-7' }]),
  // once disagreements between the compiled table and the contract; kept as regressions
  c('quirks', 'non-ASCII static matches its own spelling', 'GET', '/u/%C3%84rger', ['unicode', 'u-upper']),
  c('quirks', 'API path with %2F: operation after the suffix', 'GET', '/a%2Fb/x', ['slash', 'slash-x']),
  c('quirks', 'API path with %2F: no operation two segments deep', 'GET', '/a%2Fb/x/y', null),
];
