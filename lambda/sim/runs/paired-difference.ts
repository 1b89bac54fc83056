import { round6, type MetricsObject } from './aggregate-seeds';

/**
 * spotwise against its ablation (`spotwise-naive`: the same handlers with the naive forecast) seed by seed. Both
 * strategies meet the same world on a seed (the same traces, interruptions and requests), so the per-seed difference
 * cancels what the seed alone decides and its spread says how much of the mean difference the seeds could have made:
 * the standard error of the mean difference, sd / √n over the n seeds both ran (undefined with one seed). Issue 17's
 * goal "spotwise beats spotwise-naive" is read on these means; the standard error says whether a difference is more
 * than the seeds' noise.
 */
export interface PairedDifference {
  /** Mean over the seeds of (spotwise − spotwise-naive). */
  readonly mean: number;
  /** Sample standard deviation of the differences ÷ √seeds; null with a single seed. */
  readonly standardError: number | null;
  /** Seeds on which spotwise's figure is lower, higher, and equal within `tolerance`. */
  readonly lower: number;
  readonly higher: number;
  readonly equal: number;
}

/**
 * The cost difference by where the money goes (`costBreakdown`): Spot instances, On-Demand instances (standby and warm
 * starts), stopped warm instances' storage, and the strategy's own AWS bill (every other item: Lambda, DynamoDB,
 * EventBridge, Scheduler, CloudWatch). Each part is paired seed by seed like the total; the parts are of rounded
 * figures (cents, CloudWatch to 0.01 ¢), so their means add up to the cost's mean within a cent or so.
 */
export interface CostParts {
  readonly spot: PairedDifference;
  readonly onDemand: PairedDifference;
  readonly storage: PairedDifference;
  readonly awsBill: PairedDifference;
}

export interface AblationComparison {
  readonly strategy: 'spotwise';
  readonly against: 'spotwise-naive';
  readonly seeds: number;
  readonly unservedVcpuMinutes: PairedDifference;
  readonly cost: PairedDifference;
  /** Present when every compared seed of both strategies carries a `costBreakdown` with the instance items. */
  readonly costParts?: CostParts;
}

/** The `costBreakdown` items that are instances; everything else in it is the strategy's own AWS bill. */
const INSTANCE_ITEMS = { spot: 'spotInstances', onDemand: 'onDemandInstances', storage: 'stoppedStorage' } as const;

/** Differences closer to zero than these count as equal (the table prints unserved to 0.1 and dollars to the cent). */
export const EQUAL_WITHIN = { unservedVcpuMinutes: 0.005, cost: 0.005 } as const;

/** The paired difference of `a − b` (same seeds, same order); throws on lists of different lengths or no pairs. */
export const pairedDifference = (a: readonly number[], b: readonly number[], tolerance: number): PairedDifference => {
  if (a.length !== b.length) throw new RangeError(`paired difference needs as many values on each side, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new RangeError('paired difference needs at least one pair');
  const d = a.map((x, i) => x - (b[i] as number));
  if (!d.every(Number.isFinite)) throw new RangeError(`paired difference of non-finite values: ${JSON.stringify(d)}`);
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : undefined;
  return {
    mean: round6(mean),
    standardError: variance === undefined ? null : round6(Math.sqrt(variance / n)),
    lower: d.filter((x) => x < -tolerance).length,
    higher: d.filter((x) => x > tolerance).length,
    equal: d.filter((x) => Math.abs(x) <= tolerance).length,
  };
};

const numberOf = (m: MetricsObject | undefined, key: string): number | undefined => {
  const v = m?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

type Parts = Record<keyof CostParts, number>;

/** A strategy's cost on one seed split into CostParts; undefined without a breakdown or with a non-finite item in it. */
const partsOf = (m: MetricsObject | undefined): Parts | undefined => {
  const breakdown = m?.costBreakdown;
  if (typeof breakdown !== 'object' || breakdown === null) return undefined;
  const items = breakdown as MetricsObject;
  const spot = numberOf(items, INSTANCE_ITEMS.spot);
  const onDemand = numberOf(items, INSTANCE_ITEMS.onDemand);
  const storage = numberOf(items, INSTANCE_ITEMS.storage);
  if (spot === undefined || onDemand === undefined || storage === undefined) return undefined;
  const instanceKeys: readonly string[] = Object.values(INSTANCE_ITEMS);
  let awsBill = 0;
  for (const [key, value] of Object.entries(items)) {
    if (instanceKeys.includes(key)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    awsBill += value;
  }
  return { spot, onDemand, storage, awsBill };
};

/**
 * spotwise − spotwise-naive over the seeds on which both ran with a finite unserved demand and cost; undefined
 * unless both ran on at least two such seeds (one seed has no spread to speak of, and the table shows it already).
 */
export const compareWithAblation = (
  runs: readonly { readonly seed: number; readonly strategies: Readonly<Record<string, MetricsObject>> }[],
): AblationComparison | undefined => {
  const pairs = runs.flatMap((r) => {
    const s = r.strategies.spotwise;
    const n = r.strategies['spotwise-naive'];
    const su = numberOf(s, 'unservedVcpuMinutes');
    const nu = numberOf(n, 'unservedVcpuMinutes');
    const sc = numberOf(s, 'cost');
    const nc = numberOf(n, 'cost');
    return su === undefined || nu === undefined || sc === undefined || nc === undefined ? [] : [{ su, nu, sc, nc, sp: partsOf(s), np: partsOf(n) }];
  });
  if (pairs.length < 2) return undefined;
  const withParts = pairs.flatMap((p) => (p.sp !== undefined && p.np !== undefined ? [{ s: p.sp, n: p.np }] : []));
  const part = (key: keyof CostParts): PairedDifference =>
    pairedDifference(
      withParts.map((p) => p.s[key]),
      withParts.map((p) => p.n[key]),
      EQUAL_WITHIN.cost,
    );
  return {
    strategy: 'spotwise',
    against: 'spotwise-naive',
    seeds: pairs.length,
    unservedVcpuMinutes: pairedDifference(
      pairs.map((p) => p.su),
      pairs.map((p) => p.nu),
      EQUAL_WITHIN.unservedVcpuMinutes,
    ),
    cost: pairedDifference(
      pairs.map((p) => p.sc),
      pairs.map((p) => p.nc),
      EQUAL_WITHIN.cost,
    ),
    ...(withParts.length === pairs.length
      ? { costParts: { spot: part('spot'), onDemand: part('onDemand'), storage: part('storage'), awsBill: part('awsBill') } }
      : {}),
  };
};

const signed = (x: number, digits: number, unit = ''): string => `${x < 0 ? '−' : '+'}${unit}${Math.abs(x).toFixed(digits)}`;

const standardError = (d: PairedDifference, digits: number, unit: string): string =>
  `s.e. ${unit}${d.standardError === null ? '—' : d.standardError.toFixed(digits)}`;

/** The end-of-run table's lines: the paired difference, then (when known) where the cost difference goes. */
export const renderAblationComparison = (c: AblationComparison): string => {
  const part = (d: PairedDifference, digits: number, what: string, unit = '', suffix = ''): string =>
    `${what} ${signed(d.mean, digits, unit)}${suffix} (${standardError(d, digits, unit)}; lower on ${d.lower}, higher on ${d.higher}, equal on ${d.equal})`;
  const line = `spotwise − spotwise-naive, paired over ${c.seeds} seeds: ${part(c.unservedVcpuMinutes, 2, 'unserved', '', ' vCPU·min')}, ${part(c.cost, 2, 'cost', '$')}`;
  if (c.costParts === undefined) return line;
  const item = (d: PairedDifference, what: string): string => `${what} ${signed(d.mean, 2, '$')} (${standardError(d, 2, '$')})`;
  const p = c.costParts;
  return `${line}\n  the cost difference by part: ${item(p.spot, 'Spot instances')}, ${item(p.onDemand, 'On-Demand instances')}, ${item(p.storage, 'stopped storage')}, ${item(p.awsBill, "the strategy's own AWS bill")}`;
};
