/**
 * The real-policy corpus: every `<policies>` document in test/corpus/apim-policies (gathered from
 * public, MIT-licensed Azure sample and tooling repositories; manifest.json says where each came
 * from) goes through the path a gateway config takes (schema, parse, named values, compile), as
 * the operation policy of one API. The test prints the acceptance rate and the top refusal reasons
 * and fails when the rate falls under FLOOR (raise FLOOR when a change accepts more).
 *
 * Documents that call Azure-only services (managed identity tokens, Event Hubs, Service Bus, Dapr)
 * are counted apart: no self-hosted gateway can serve them. Every `{{named-value}}` a document uses
 * is defined (the user would bring their named values along with their policies); one whose name
 * says tenant holds a tenant ID, one a base-url starts with an absolute URL, as the user's would.
 * So is every backend entity a document names with a constant `backend-id` (as a single backend).
 * The AI-Gateway labs (and the ACA samples, `{backend_id}`) write `backend-id="{backend-id}"`, a
 * placeholder their notebooks replace with the deployed backend's id before uploading the policy
 * (`policy_xml.replace("{backend-id}", ...)`), and `{tenant-id}`/`{client-application-id}`, which
 * their Bicep replaces: the harness does the same. The Apim-Samples notebooks pass their policy
 * files through Python's `str.format` (`{name}` becomes the named value `{{name}}` their helper
 * names, `{{`/`}}` become `{`/`}`): the harness formats those files the same way, and the
 * dynamic-cors sample's `{fragment_id}` is option 5's fragment (DynamicCorsNvPerApi), the one of
 * its fragments the corpus holds.
 *
 * Named values hold what their place needs, as the user's would: the text of a `<set-url>` or a
 * `base-url` an absolute URL; a whole numeric attribute (calls, count, duration…) or a bare operand
 * in an expression a number; a `<key>` of validate-jwt a base64 signing key of 32 bytes.
 *
 * Fragments: a document's `<include-fragment fragment-id="…">` finds the `<fragment>` document its
 * source repository deploys under that id (fragments/manifest.json names repo, path, commit and
 * the id, as the repository's Bicep or notebook names it), put in the config's `fragments`. A
 * document is Azure-only when it or a fragment it includes calls an Azure-only service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { parsePolicyDocumentCollecting } from '../../src/gateway/pipeline/policy-document.js';
import type { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';

/** Share of all documents the reader turns into a tree (XML as APIM reads it), measured. */
const READ_FLOOR = 0.99;
/** Accepted share of the documents that are not Azure-only, measured; a regression fails the test. */
const FLOOR = 0.86;

const CORPUS = new URL('../../../test/corpus/apim-policies/', import.meta.url);
const AZURE_ONLY = /<(authentication-managed-identity|log-to-eventhub|send-service-bus-message|invoke-dapr-binding|publish-to-dapr)\b|backend-id="dapr"/;

interface Entry { file: string; repo: string; path: string; commit: string; licence: string }
interface FragmentEntry extends Entry { id: string }

/** The corpus' fragments by id (the text as the source repository holds it). */
function loadFragments(): Map<string, string> {
  const list = JSON.parse(readFileSync(new URL('fragments/manifest.json', CORPUS), 'utf8')) as FragmentEntry[];
  const out = new Map<string, string>();
  for (const entry of list) {
    assert.ok(entry.licence === 'MIT' || entry.licence === 'Apache-2.0', `${entry.file}: only permissively licensed fragments`);
    out.set(entry.id, readFileSync(new URL(`fragments/${entry.file}`, CORPUS), 'utf8'));
  }
  return out;
}

/** The fragments a document includes that the corpus holds (a missing one stays a refusal). */
function includedFragments(xml: string, all: ReadonlyMap<string, string>): { id: string; policy: string }[] {
  const ids = new Set([...xml.matchAll(/<include-fragment\s+fragment-id="([^"]+)"/g)].map((m) => m[1]));
  return [...ids].filter((id) => all.has(id)).map((id) => ({ id, policy: all.get(id)! }));
}

/** An Apim-Samples policy file with a `{placeholder}` of Python's str.format, which its notebook fills. */
function isPythonFormatted(entry: Entry, xml: string): boolean {
  return entry.repo === 'Azure-Samples/Apim-Samples' && /(?<!\{)\{[a-z_][a-z0-9_]*\}(?!\})/.test(xml);
}

/** Whether the reader reads the document (problems in single policies do not count here). */
function reads(xml: string): boolean {
  try {
    parsePolicyDocumentCollecting(xml, 'policies', [] as PolicyCompileError[]);
    return true;
  } catch (err) {
    console.log(`  unread: ${(err as Error).message.slice(0, 200)}`);
    return false;
  }
}

/** A tenant ID, for the Entra tenant a document names through a named value or placeholder. */
const CORPUS_TENANT = '00000000-0000-0000-0000-00000000c0de';

/** Where a named value stands decides what it holds (see the header). */
interface NamedValueUses { urls: ReadonlySet<string>; numbers: ReadonlySet<string>; keys: ReadonlySet<string> }

/** A base64 HMAC key of 32 bytes, as the Apim-Samples notebooks generate for their signing keys. */
const CORPUS_SIGNING_KEY = Buffer.alloc(32, 'corpus-signing-key').toString('base64');

/**
 * What a named value holds, as the user's would: a tenant's ID when its name says tenant, an
 * absolute URL, a number or a signing key where its place needs one, else a plain value.
 */
function namedValue(name: string, uses: NamedValueUses): string {
  if (/tenant/i.test(name)) return CORPUS_TENANT;
  if (uses.urls.has(name)) return 'https://backend.corpus.example';
  if (uses.keys.has(name)) return CORPUS_SIGNING_KEY;
  if (uses.numbers.has(name)) return /count/i.test(name) ? '3' : '60';
  return 'corpus-value';
}

const NAME = '\\{\\{([A-Za-z0-9._-]+)\\}\\}';
function namesIn(text: string, pattern: string): Set<string> {
  return new Set([...text.matchAll(new RegExp(pattern, 'g'))].map((m) => m[1]));
}
function namedValueUses(texts: string): NamedValueUses {
  return {
    urls: new Set([...namesIn(texts, `base-url="${NAME}`), ...namesIn(texts, `<set-url>\\s*${NAME}\\s*</set-url>`)]),
    numbers: new Set([
      ...namesIn(texts, `\\b(?:calls|count|renewal-period|duration|interval|bandwidth|max-count|increment-count|timeout)="${NAME}"`),
      // A bare operand of a comparison or an argument list inside an expression (not in a string).
      ...namesIn(texts, `(?:<=|>=|==|!=|&lt;=?|&gt;=?|[<>(,*/%+-])\\s*${NAME}\\s*(?:[),;*/%+<>=?:-]|&lt;|&gt;|&amp;)`),
    ]),
    keys: namesIn(texts, `<key>\\s*${NAME}\\s*</key>`),
  };
}

/** Python's `str.format` as the Apim-Samples notebooks apply it to their policy files. */
function pythonFormat(xml: string): string {
  return xml.replace(/\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}/g, (whole, name?: string) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (name === 'backend_id') return 'lab-backend';
    if (name === 'fragment_id') return 'DynamicCorsNvPerApi';
    return `{{${name}}}`;
  });
}

function compileDocument(original: string, fragments: { id: string; policy: string }[]): string[] {
  // The labs' placeholders, filled as their notebooks and Bicep do (access-controlling:
  // `replace(replace(loadTextContent('policy.xml'), '{tenant-id}', tenantId), '{client-application-id}', clientId)`).
  const xml = original.replace(/backend-id="\{backend[-_]id\}"/g, 'backend-id="lab-backend"')
    .replaceAll('{tenant-id}', CORPUS_TENANT).replaceAll('{client-application-id}', '00000000-0000-0000-0000-0000000c11e7');
  const texts = [xml, ...fragments.map((f) => f.policy)].join('\n');
  const names = new Set([...texts.matchAll(/\{\{([A-Za-z0-9._-]+)\}\}/g)].map((m) => m[1]));
  const uses = namedValueUses(texts);
  const backendIds = new Set([...texts.matchAll(/backend-id="([A-Za-z0-9._~-]+)"/g)].map((m) => m[1]));
  const result = validateGatewayConfig({
    fragments,
    backends: [...backendIds].map((id) => ({ id, url: 'http://127.0.0.1:1' })),
    namedValues: [...names].map((name) => ({ name, value: namedValue(name, uses) })),
    apis: [{
      id: 'corpus', name: 'Corpus', path: 'corpus', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*', policies: xml }],
    }],
  });
  if (!result.ok) return result.problems.map((p) => `config: ${p.message}`);
  return compilePolicies(result.config).problems.map((p) => p.message);
}

/** A refusal reason without the document's own names and values, so like problems count together. */
function reasonOf(message: string): string {
  return message
    .replace(/^apis\[0\]\.operations\[0\]\.policies \/ [a-z-]+ \/ /, '')
    .replace(/\[\d+\]/g, '')
    .replace(/line \d+, column \d+/g, 'line L, column C')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 140);
}

test('real APIM policy documents: acceptance rate and refusal reasons', () => {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', CORPUS), 'utf8')) as Entry[];
  const allFragments = loadFragments();
  assert.ok(manifest.length >= 150, `the corpus holds ${manifest.length} documents`);
  let accepted = 0;
  let azureOnly = 0;
  let read = 0;
  let onlyExpressions = 0;
  const reasons = new Map<string, number>();
  for (const entry of manifest) {
    assert.equal(entry.licence, 'MIT', `${entry.file}: only permissively licensed documents`);
    const xml = readFileSync(new URL(`docs/${entry.file}`, CORPUS), 'utf8');
    if (reads(xml)) read++;
    const prepared = isPythonFormatted(entry, xml) ? pythonFormat(xml) : xml;
    const fragments = includedFragments(prepared, allFragments);
    if (AZURE_ONLY.test(xml) || fragments.some((f) => AZURE_ONLY.test(f.policy))) { azureOnly++; continue; }
    const problems = compileDocument(prepared, fragments);
    if (problems.length === 0) { accepted++; continue; }
    if (problems.every((p) => p.includes('C# policy expression'))) onlyExpressions++;
    // CORPUS_VERBOSE=1 lists every refused document with its problems (what to work on next).
    if (process.env.CORPUS_VERBOSE === '1') console.log(`refused ${entry.file}\n${[...new Set(problems)].map((p) => `    - ${p.slice(0, 300)}`).join('\n')}`);
    // Each document counts once per distinct reason, so one long document does not dominate.
    for (const reason of new Set(problems.map(reasonOf))) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const counted = manifest.length - azureOnly;
  const rate = accepted / counted;
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(`APIM corpus: ${accepted}/${counted} accepted (${(rate * 100).toFixed(1)}%); ${azureOnly} Azure-only documents excluded; ${manifest.length} in all`);
  console.log(`APIM corpus: ${onlyExpressions} more are refused only for their C# expressions (problems inside a refused element are not counted)`);
  console.log(`APIM corpus: the reader reads ${read}/${manifest.length} documents (${(read / manifest.length * 100).toFixed(1)}%)`);
  for (const [reason, n] of top) console.log(`  ${String(n).padStart(4)}  ${reason}`);
  assert.ok(read / manifest.length >= READ_FLOOR, `the reader read ${read}/${manifest.length}, under the floor`);
  assert.ok(rate >= FLOOR, `acceptance ${(rate * 100).toFixed(1)}% fell under the floor ${(FLOOR * 100).toFixed(1)}%`);
});
