/**
 * authentication-basic (APIM): authenticates to the backend with HTTP Basic, replacing the
 * request's Authorization header with `Basic base64(username:password)`. Both attributes may be
 * policy expressions or named values (`{{secret}}`, substituted before this compiles). The
 * header is built once at compile time when both are constants. Inbound only, as APIM.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, headerValue, templateAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { headerValueProblem } from '../../shared/http-syntax.js';

type Config = { header: string } | { username: Template; password: Template };

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function setAuthorization(ctx: RequestContext, value: string): Outcome {
  ctx.removeHeader('authorization');
  ctx.headers.push('authorization', value);
  return CONTINUE;
}

export const authenticationBasic: PolicyFactory<Config> = {
  name: 'authentication-basic',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['username', 'password']);
    const username = templateAttr(el, at, 'username');
    const password = templateAttr(el, at, 'password', el.attrs.password === '' ? '' : undefined);
    if (username.k === 'text' && username.v.includes(':')) throw new PolicyCompileError(at, 'username', 'may not contain ":" (RFC 7617)');
    if (username.k === 'text' && password.k === 'text') {
      // The message never quotes the values: they are credentials.
      return { header: headerValue(at, 'username', basic(username.v, password.v)) };
    }
    return { username, password };
  },
  create(config) {
    if ('header' in config) {
      const value = config.header;
      return { run: (ctx) => setAuthorization(ctx, value) };
    }
    const user = bindStringTemplate(config.username);
    const pass = bindStringTemplate(config.password);
    return {
      run(ctx: RequestContext): Outcome {
        const u = user(ctx);
        if (u.includes(':')) throw new CsRuntimeError('ArgumentException', 'The username computed by the expression may not contain ":".');
        const value = basic(u, pass(ctx));
        if (headerValueProblem(value) !== null) throw new CsRuntimeError('ArgumentException', 'The credentials computed by the expression are not a valid header value.');
        return setAuthorization(ctx, value);
      },
    };
  },
};
