/** Compiling and running a policy expression as the gateway does: compile, msgpack round trip, bind, run. */
import { pack, unpack } from 'msgpackr';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { bindProgram } from '../../src/gateway/pipeline/expression/csharp/cs-bind.js';
import type { Program } from '../../src/gateway/pipeline/expression/csharp/cs-ast.js';

export function jwt(claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2ln`;
}

export function exampleContext(): RequestContext {
  const ctx = new RequestContext('POST', '/orders/42', 'page=2&tag=a&tag=b',
    ['host', 'api.example.com', 'x-tier', 'gold', 'accept', 'text/html', 'accept', 'application/json',
      'authorization', `Bearer ${jwt({ sub: 'alice', roles: ['admin', 'ops'], exp: 1_700_000_000, aud: 'orders' })}`],
    '10.1.2.3', 'shop', 'create-order', { id: '42' });
  ctx.subscription = { id: 's-1', productId: 'gold' };
  ctx.requestBody = Buffer.from('{"order":{"id":7,"items":[{"sku":"a","qty":2},{"sku":"b","qty":3}]},"note":null}');
  ctx.setVariable('count', 5);
  ctx.setVariable('name', 'outpost');
  return ctx;
}

/** The program as it travels in the table (msgpack), so a test also proves it is plain data. */
export function compileForTable(source: string, kind: 'expr' | 'block' = 'expr'): Program {
  return unpack(pack(compileCs(source, kind))) as Program;
}

export function evaluate(source: string, ctx: RequestContext = exampleContext(), kind: 'expr' | 'block' = 'expr'): unknown {
  return bindProgram(compileForTable(source, kind))(ctx);
}
