/**
 * `npm run fuzz:response -- [cases] [seed]`: the response parser against llhttp on many mutated
 * responses (test/support/response-fuzz.ts). Prints the counts and every disagreement; exits 1
 * when there is one.
 */
import { runFuzz } from '../test/support/response-fuzz.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(count) || count < 1) { process.stderr.write('usage: fuzz-response [cases] [seed]\n'); process.exit(2); }
const started = Date.now();
const r = runFuzz(count, seed);
for (const d of r.disagreements.slice(0, 20)) process.stdout.write(`${JSON.stringify(d)}\n`);
process.stdout.write(`${JSON.stringify({ seed, cases: r.cases, compared: r.compared, bothAccepted: r.accepted, excusedKnownDifferences: r.excused, disagreements: r.disagreements.length, ms: Date.now() - started })}\n`);
process.exitCode = r.disagreements.length === 0 ? 0 : 1;
