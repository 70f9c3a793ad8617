/**
 * The dictionaries and URL of context.Request and context.Response: headers (values joined with
 * "," by GetValueOrDefault, as APIM does), Variables, Url (and Url.Query) and the message body.
 */
import type { RequestContext } from '../../context.js';
import { NO_MEMBER, View } from './cs-view.js';
import { castTo, CsDict, JArray, JObject, JoinedDict, toToken } from './cs-values.js';
import { CsRuntimeError, formatError } from './cs-error.js';
import type { EvalState } from './cs-state.js';
import { MAX_STRING } from './cs-state.js';

/** IReadOnlyDictionary<string, string[]> over a flat [name, value, …] list with lowercase names. */
export class HeadersView extends View {
  readonly csType = 'IReadOnlyDictionary<string, string[]>';
  constructor(readonly list: string[]) { super(); }
  /** All values of a header joined with "," (APIM's GetValueOrDefault), or null. */
  joined(name: string): string | null {
    const h = this.list;
    const lower = name.toLowerCase();
    let out: string | null = null;
    for (let i = 0; i < h.length; i += 2) if (h[i] === lower) out = out === null ? h[i + 1] : `${out},${h[i + 1]}`;
    return out;
  }
  values(name: string): string[] | null {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.list.length; i += 2) if (this.list[i] === lower) out.push(this.list[i + 1]);
    return out.length === 0 ? null : out;
  }
  get(name: string): unknown {
    if (name === 'Count') return new Set(this.list.filter((_, i) => i % 2 === 0)).size;
    if (name === 'Keys') return [...new Set(this.list.filter((_, i) => i % 2 === 0))];
    return NO_MEMBER;
  }
  override call(name: string, args: unknown[]): unknown {
    const key = String(args[0] ?? '');
    switch (name) {
      case 'GetValueOrDefault': return this.joined(key) ?? (args.length > 1 ? args[1] : null);
      case 'ContainsKey': return this.values(key) !== null;
    }
    return NO_MEMBER;
  }
  index(key: unknown): unknown {
    const v = this.values(String(key));
    if (v === null) throw new CsRuntimeError('KeyNotFoundException', `The given key '${String(key)}' was not present in the dictionary.`);
    return v;
  }
}

/** context.Variables: a read-only dictionary of what set-variable stored. */
export class VariablesView extends View {
  readonly csType = 'IReadOnlyDictionary<string, object>';
  constructor(private readonly ctx: RequestContext) { super(); }
  get(name: string): unknown {
    if (name === 'Count') return this.ctx.variables?.size ?? 0;
    if (name === 'Keys') return [...(this.ctx.variables?.keys() ?? [])];
    return NO_MEMBER;
  }
  override call(name: string, args: unknown[], _st: EvalState, targs: string[]): unknown {
    const key = String(args[0] ?? '');
    const vars = this.ctx.variables;
    switch (name) {
      case 'GetValueOrDefault': {
        if (vars === null || !vars.has(key)) return args.length > 1 ? args[1] : null;
        const v = vars.get(key);
        return targs.length > 0 ? castTo(v, targs[0]) : v;
      }
      case 'ContainsKey': return vars !== null && vars.has(key);
    }
    return NO_MEMBER;
  }
  index(key: unknown): unknown {
    const vars = this.ctx.variables;
    const k = String(key);
    if (vars === null || !vars.has(k)) throw new CsRuntimeError('KeyNotFoundException', `The given key '${k}' was not present in the dictionary.`);
    return vars.get(k);
  }
}

/** IUrl: Scheme, Host, Port, Path, Query, QueryString, ToString(). */
export class UrlView extends View {
  readonly csType = 'IUrl';
  constructor(private readonly ctx: RequestContext | null, private readonly fixed: URL | null = null) { super(); }
  static parse(text: string): UrlView | null {
    try { return new UrlView(null, new URL(text)); } catch { return null; }
  }
  private scheme(): string { return this.fixed ? this.fixed.protocol.slice(0, -1) : (this.ctx!.header('x-forwarded-proto') ?? 'http'); }
  private host(): string { return this.fixed ? this.fixed.hostname : (this.ctx!.header('host') ?? '').replace(/:\d+$/, ''); }
  private port(): number {
    if (this.fixed) return this.fixed.port === '' ? (this.fixed.protocol === 'https:' ? 443 : 80) : Number(this.fixed.port);
    const m = /:(\d+)$/.exec(this.ctx!.header('host') ?? '');
    return m ? Number(m[1]) : this.scheme() === 'https' ? 443 : 80;
  }
  private path(): string {
    if (this.fixed) return this.fixed.pathname;
    const api = this.ctx!.apiMeta;
    return api === null || api.path === '' ? this.ctx!.path : `/${api.path}${this.ctx!.path === '/' ? '' : this.ctx!.path}`;
  }
  private queryString(): string {
    const q = this.fixed ? this.fixed.search.slice(1) : this.ctx!.query;
    return q === '' ? '' : `?${q}`;
  }
  get(name: string): unknown {
    switch (name) {
      case 'Scheme': return this.scheme();
      case 'Host': return this.host();
      case 'Port': return this.port();
      case 'Path': return this.path();
      case 'QueryString': return this.queryString();
      case 'Query': {
        const dict = new Map<unknown, unknown>();
        for (const [k, v] of new URLSearchParams(this.queryString())) {
          const list = dict.get(k) as string[] | undefined;
          if (list) list.push(v); else dict.set(k, [v]);
        }
        return new QueryView(dict);
      }
    }
    return NO_MEMBER;
  }
  override call(name: string): unknown {
    if (name !== 'ToString') return NO_MEMBER;
    const port = this.port();
    const scheme = this.scheme();
    const showPort = !((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443));
    return `${scheme}://${this.host()}${showPort ? `:${port}` : ''}${this.path()}${this.queryString()}`;
  }
}

/** Url.Query: IReadOnlyDictionary<string, string[]>, with APIM's GetValueOrDefault joining values. */
class QueryView extends JoinedDict {
  readonly csType = 'IReadOnlyDictionary<string, string[]>';
}

/**
 * IMessageBody: As<string>, As<JObject>, As<JArray>, As<JToken>, and AsFormUrlEncodedContent()
 * (an IDictionary<string, IList<string>> of the form's fields, values in order, `+` and %XX
 * decoded). preserveContent is accepted; the bytes are kept anyway.
 */
export class BodyView extends View {
  readonly csType = 'IMessageBody';
  constructor(private readonly bytes: Buffer) { super(); }
  get(): unknown { return NO_MEMBER; }
  override call(name: string, _args: unknown[], st: EvalState, targs: string[]): unknown {
    if (name !== 'As' && name !== 'AsFormUrlEncodedContent') return NO_MEMBER;
    if (this.bytes.length > MAX_STRING) throw new CsRuntimeError('InvalidOperationException', 'the body is too large for an expression');
    const text = this.bytes.toString('utf8');
    st.step(text.length >> 10);
    if (name === 'AsFormUrlEncodedContent') return formFields(text);
    const type = targs[0] ?? 'string';
    if (type === 'string') return text;
    let parsed: unknown;
    try { parsed = toToken(JSON.parse(text)); } catch { throw formatError(`The body is not valid JSON (As<${type}>).`); }
    if (type === 'JObject' && !(parsed instanceof JObject)) throw formatError('The body is not a JSON object (As<JObject>).');
    if (type === 'JArray' && !(parsed instanceof JArray)) throw formatError('The body is not a JSON array (As<JArray>).');
    return parsed;
  }
}

/** The fields of an application/x-www-form-urlencoded body, each name with its values in order. */
function formFields(text: string): CsDict {
  const fields = new Map<unknown, unknown>();
  for (const [k, v] of new URLSearchParams(text)) {
    const list = fields.get(k) as string[] | undefined;
    if (list) list.push(v); else fields.set(k, [v]);
  }
  return new CsDict(fields);
}
