/** A latency histogram with 0.1 ms buckets up to 60 s (beyond lands in the last bucket), cheap to record and merge. */
export const BUCKET_MS = 0.1;
const BUCKETS = 600_001;

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    let i = Math.floor(v / BUCKET_MS);
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** Non-empty buckets as [index, count] pairs, for sending over IPC. */
  toSparse(): SparseHistogram {
    const pairs: number[] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) pairs.push(i, this.counts[i]!);
    return { pairs, count: this.count, max: this.max, sum: this.sum };
  }

  add(s: SparseHistogram): void {
    for (let j = 0; j < s.pairs.length; j += 2) this.counts[s.pairs[j]!]! += s.pairs[j + 1]!;
    this.count += s.count;
    this.sum += s.sum;
    if (s.max > this.max) this.max = s.max;
  }

  /** The value below which `q` (0..1) of the samples fall (upper edge of its bucket). */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min((i + 1) * BUCKET_MS, this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.max,
      mean: this.count ? this.sum / this.count : NaN,
    };
  }
}

export interface SparseHistogram {
  pairs: number[];
  count: number;
  max: number;
  sum: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
