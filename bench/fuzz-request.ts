/**
 * `npm run fuzz:request -- [cases] [seed]`: the request side (head-end finder, request parser,
 * chunked decoder) against llhttp on many mutated, pipelined requests fed in random pieces
 * (test/support/request-fuzz.ts). Prints the counts and every disagreement; exits 1 when there is one.
 */
import { runFuzz } from '../test/support/request-fuzz.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(count) || count < 1) { process.stderr.write('usage: fuzz-request [cases] [seed]\n'); process.exit(2); }
const started = Date.now();
const r = runFuzz(count, seed);
for (const d of r.disagreements.slice(0, 20)) process.stdout.write(`${JSON.stringify(d)}\n`);
process.stdout.write(`${JSON.stringify({ seed, cases: r.cases, requestsCompletedByBoth: r.requestsCompleted, refusedByOutpostOnly: r.stricter, refusedByBoth: r.bothRefused, excusedDocumentedDifferences: r.excused, disagreements: r.disagreements.length, ms: Date.now() - started })}\n`);
process.exitCode = r.disagreements.length === 0 ? 0 : 1;
