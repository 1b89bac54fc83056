/**
 * Summaries over several seeds, field by field, without knowing the fields: whatever numbers a strategy's
 * summary carries (the contract metrics and any extra counter) flow through.
 */

/** One strategy's metrics on one seed: numbers, and nested objects of numbers (`costBreakdown`). */
export type MetricsObject = Readonly<Record<string, unknown>>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Six decimals: enough for availability (0..1) and dollars, and keeps float noise out of the JSON. */
export const round6 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

/**
 * The mean over seeds of every numeric field (nested objects averaged field by field). A field missing on
 * some seeds is averaged over the seeds that have it; a non-numeric field is kept when every seed agrees
 * on it and dropped otherwise (a mean of labels means nothing).
 */
export const meanMetrics = (all: readonly MetricsObject[]): Record<string, unknown> => {
  const keys: string[] = [];
  for (const m of all) for (const k of Object.keys(m)) if (!keys.includes(k)) keys.push(k);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const values = all.map((m) => m[key]).filter((v) => v !== undefined);
    if (values.length === 0) continue;
    if (values.every((v): v is number => typeof v === 'number')) {
      out[key] = round6(values.reduce((a, b) => a + b, 0) / values.length);
    } else if (values.every(isPlainObject)) {
      out[key] = meanMetrics(values);
    } else if (values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) {
      out[key] = values[0];
    }
  }
  return out;
};

const numberField = (m: MetricsObject, key: string): number => {
  const v = m[key];
  return typeof v === 'number' && !Number.isNaN(v) ? v : 0;
};

/**
 * The worst seed: the one with the most unserved vCPU·min (the metric the simulator exists to measure),
 * ties broken by the higher cost, then by the earlier seed in the list. One whole seed rather than the worst
 * of each metric separately, so the row is a run that happened (its cost and its unserved belong together);
 * `seed` says which.
 */
export const worstSeed = <M extends MetricsObject>(
  runs: readonly { readonly seed: number; readonly metrics: M }[],
): { readonly seed: number; readonly metrics: M } => {
  const first = runs[0];
  if (first === undefined) throw new RangeError('worstSeed needs at least one seed');
  return runs.reduce((worst, r) => {
    const du = numberField(r.metrics, 'unservedVcpuMinutes') - numberField(worst.metrics, 'unservedVcpuMinutes');
    if (du > 0) return r;
    if (du === 0 && numberField(r.metrics, 'cost') > numberField(worst.metrics, 'cost')) return r;
    return worst;
  }, first);
};

export interface SeedSummary {
  readonly mean: Record<string, unknown>;
  /** The worst seed's metrics, with `seed` added. */
  readonly worst: Record<string, unknown>;
}

/** Per strategy: the mean over seeds and the worst seed, for the strategies present in every run given. */
export const summarizeSeeds = (
  runs: readonly { readonly seed: number; readonly strategies: Readonly<Record<string, MetricsObject>> }[],
): Record<string, SeedSummary> => {
  const names: string[] = [];
  for (const r of runs) for (const n of Object.keys(r.strategies)) if (!names.includes(n)) names.push(n);
  const out: Record<string, SeedSummary> = {};
  for (const name of names) {
    const perSeed = runs.flatMap((r) => (r.strategies[name] !== undefined ? [{ seed: r.seed, metrics: r.strategies[name] }] : []));
    const worst = worstSeed(perSeed);
    out[name] = { mean: meanMetrics(perSeed.map((p) => p.metrics)), worst: { ...worst.metrics, seed: worst.seed } };
  }
  return out;
};
