/**
 * /metrics read through parse-prometheus-text-format. That parser flattens a labelled histogram
 * into one sample and loses its labels, so histograms are also read from a second parse in which
 * their `# TYPE` line says untyped: each `_bucket`, `_sum` and `_count` line then comes back as a
 * sample of its own family with all its labels, parsed (and unescaped) by the library.
 */
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import assert from 'node:assert/strict';

export interface HistogramSeries {
  labels: Record<string, string>;
  buckets: Record<string, number>;
  /** The `le` values in the order of the text. */
  les: string[];
  sum: number;
  count: number;
}

export class Metrics {
  readonly families: PromFamily[];
  private readonly untyped: PromFamily[];

  constructor(text: string) {
    this.families = parsePrometheusTextFormat(text);
    this.untyped = parsePrometheusTextFormat(text.split('\n').map((l) => (l.startsWith('# TYPE ') && l.endsWith(' histogram') ? l.replace(/ histogram$/, ' untyped') : l)).join('\n'));
  }

  family(name: string): PromFamily {
    const f = this.families.find((x) => x.name === name);
    assert.ok(f, `metric ${name} is missing`);
    return f;
  }

  /** Value of the sample whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    const m = this.family(name).metrics.find((s) => matches(s.labels, labels));
    return m ? Number(m.value) : 0;
  }

  sum(name: string): number {
    return this.family(name).metrics.reduce((n, s) => n + Number(s.value), 0);
  }

  /** The histogram series whose labels include `labels`, or null. */
  histogram(name: string, labels: Record<string, string>): HistogramSeries | null {
    assert.equal(this.family(name).type, 'HISTOGRAM');
    // Series after series, the untyped view has a `_bucket`, `_sum`, `_count` family each time.
    const samples = (suffix: string) => this.untyped.filter((f) => f.name === `${name}${suffix}`).flatMap((f) => f.metrics).filter((s) => matches(s.labels, labels));
    const count = samples('_count');
    if (count.length === 0) return null;
    assert.equal(count.length, 1, `more than one ${name} series matches ${JSON.stringify(labels)}`);
    const buckets: Record<string, number> = {};
    const les: string[] = [];
    for (const b of samples('_bucket')) { buckets[b.labels!.le] = Number(b.value); les.push(b.labels!.le); }
    const { le: _le, ...own } = samples('_bucket')[0]?.labels ?? {};
    return { labels: own, buckets, les, sum: Number(samples('_sum')[0]?.value), count: Number(count[0].value) };
  }
}

function matches(have: Record<string, string> | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => (have?.[k] ?? '') === v);
}

export async function scrape(opsPort: number): Promise<Metrics> {
  const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
  assert.equal(res.status, 200);
  return new Metrics(await res.text());
}
