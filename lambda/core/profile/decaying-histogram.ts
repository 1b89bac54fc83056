import type { DecayingHistogram } from '../domain';

/**
 * Decaying histograms in the style of the Kubernetes Vertical Pod Autoscaler
 * (`pkg/recommender/util/histogram.go`, `decaying_histogram.go`): geometric buckets, each
 * observation weighted 2^((at − referenceAt) / halfLife) so that an observation one half-life older
 * counts half as much, and quantiles reported as the *upper* bound of the bucket they fall in
 * (a conservative estimate, as VPA does).
 *
 * Two deliberate differences from VPA: the first bucket is exactly [0, 0], so an idle dimension
 * (no disk I/O) reports 0 rather than the first bucket's width; and values above the top bound are
 * counted in the top bucket and reported as that bound (saturate), so choose bounds generously.
 */

/** Default half-life of the steady state (profiler.half_life_hours, default 24): a day-old observation weighs half as much as a new one. */
export const DEFAULT_HALF_LIFE_MS = 24 * 60 * 60 * 1000;

/**
 * Weights are re-based to the newest observation when its exponent passes this bound. 2^64 keeps
 * far from float overflow (2^1024) while making re-bases rare (every 64 half-lives at most).
 */
const MAX_DECAY_EXPONENT = 64;

/** After a re-base, weights below this (relative to a fresh observation's weight 1) are dropped. */
const NEGLIGIBLE_WEIGHT = 1e-12;

/** A histogram that cannot be built or an observation/quantile request that makes no sense. */
export class InvalidHistogramError extends Error {
  override readonly name = 'InvalidHistogramError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`decaying histogram: ${field} ${detail} (got ${String(value)})`);
  }
}

/**
 * Upper bounds [0, b1, b2, …] of geometric buckets: bucket i (i ≥ 1) starts where bucket i−1 ends
 * and is `ratio` times as wide, the first being `firstWidth` wide (VPA's ExponentialHistogramOptions),
 * until `max` is covered. Bounds are rounded to 4 significant digits: they stay strictly ascending
 * for ratios ≥ 1.01 and serialise compactly (profiles are stored in DynamoDB).
 */
export const geometricBounds = (firstWidth: number, ratio: number, max: number): number[] => {
  if (!(firstWidth > 0) || !Number.isFinite(firstWidth)) throw new InvalidHistogramError('firstWidth', firstWidth, 'must be a finite number > 0');
  if (!(ratio >= 1.01) || !Number.isFinite(ratio)) throw new InvalidHistogramError('ratio', ratio, 'must be a finite number ≥ 1.01');
  if (!(max > firstWidth) || !Number.isFinite(max)) throw new InvalidHistogramError('max', max, 'must be a finite number > firstWidth');
  const bounds = [0];
  let upper = 0;
  let width = firstWidth;
  while (upper < max) {
    upper += width;
    width *= ratio;
    bounds.push(Number(upper.toPrecision(4)));
  }
  return bounds;
};

const freeze = (xs: number[]): readonly number[] => Object.freeze(xs);

/**
 * Bucket presets, 5 % geometric growth like VPA. Each covers the largest EC2 shape with room:
 * vCPU to 1,000 (u7in-32tb has 896), memory to 32 TiB, network to 400 Gbps, IOPS to 1 M,
 * connections to 1 M. Shared (frozen) so every histogram of a kind references one array.
 */
export const HISTOGRAM_BOUNDS = {
  vcpu: freeze(geometricBounds(0.01, 1.05, 1_000)),
  memoryGiB: freeze(geometricBounds(0.01, 1.05, 32_768)),
  networkMbps: freeze(geometricBounds(0.1, 1.05, 400_000)),
  diskIops: freeze(geometricBounds(1, 1.05, 1_000_000)),
  /** Average CPU per core, 0..1. */
  cpuPerCore: freeze(geometricBounds(0.001, 1.05, 1)),
  connections: freeze(geometricBounds(1, 1.05, 1_000_000)),
  generic: freeze(geometricBounds(0.01, 1.05, 1_000_000)),
} as const;

const checkBounds = (bounds: readonly number[]): void => {
  if (bounds.length === 0) throw new InvalidHistogramError('bounds', '[]', 'must not be empty');
  let previous = -1;
  bounds.forEach((b, i) => {
    if (!Number.isFinite(b) || b < 0 || b <= previous) throw new InvalidHistogramError(`bounds[${i}]`, b, 'must be finite, ≥ 0 and strictly ascending');
    previous = b;
  });
};

const checkHalfLife = (halfLifeMs: number): void => {
  if (!Number.isFinite(halfLifeMs) || halfLifeMs <= 0) throw new InvalidHistogramError('halfLifeMs', halfLifeMs, 'must be a finite number > 0');
};

/** An empty histogram over `bounds` (default: a generic 0.01 … 1e6 range). */
export const emptyHistogram = (halfLifeMs: number = DEFAULT_HALF_LIFE_MS, bounds: readonly number[] = HISTOGRAM_BOUNDS.generic): DecayingHistogram => {
  checkHalfLife(halfLifeMs);
  checkBounds(bounds);
  return { bounds, weights: new Array<number>(bounds.length).fill(0), totalWeight: 0, referenceAt: 0, halfLifeMs, count: 0 };
};

export const isEmptyHistogram = (h: DecayingHistogram): boolean => h.count === 0 || !(h.totalWeight > 0);

/** Index of the bucket holding `value`: the first upper bound ≥ value; the top bucket saturates. */
const bucketIndex = (bounds: readonly number[], value: number): number => {
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** One observation: a resource value at a time, weighted (default 1) before decay. */
export interface Observation {
  readonly value: number;
  readonly at: number;
  readonly weight?: number;
}

/**
 * Adds observations in order, copying the weights once (a profile tick adds several points per
 * histogram for 10,000 instances, so per-point copies would dominate). Throws InvalidHistogramError
 * for a NaN/negative/infinite value, a non-finite time or a negative weight: callers decide what a
 * gap is (the profile skips and counts them) and this layer never turns one into a number.
 */
export const observeAll = (h: DecayingHistogram, observations: readonly Observation[]): DecayingHistogram => {
  if (observations.length === 0) return h;
  checkHalfLife(h.halfLifeMs);
  if (h.weights.length !== h.bounds.length) throw new InvalidHistogramError('weights.length', h.weights.length, `must equal bounds.length ${h.bounds.length}`);
  const weights = h.weights.slice();
  let total = h.totalWeight;
  let reference = h.referenceAt;
  let count = h.count;
  for (const { value, at, weight = 1 } of observations) {
    if (!Number.isFinite(value) || value < 0) throw new InvalidHistogramError('value', value, 'must be a finite number ≥ 0');
    if (!Number.isFinite(at)) throw new InvalidHistogramError('at', at, 'must be a finite time');
    if (!Number.isFinite(weight) || weight < 0) throw new InvalidHistogramError('weight', weight, 'must be a finite number ≥ 0');
    if (count === 0 || !(total > 0)) reference = at;
    let exponent = (at - reference) / h.halfLifeMs;
    if (exponent > MAX_DECAY_EXPONENT) {
      // Re-base: express every weight relative to `at` so the new weight is ~1 and old ones shrink.
      const scale = 2 ** -exponent;
      total = 0;
      for (let i = 0; i < weights.length; i++) {
        const w = (weights[i] as number) * scale;
        weights[i] = w < NEGLIGIBLE_WEIGHT ? 0 : w;
        total += weights[i] as number;
      }
      reference = at;
      exponent = 0;
    }
    const w = weight * 2 ** exponent;
    const i = bucketIndex(h.bounds, value);
    weights[i] = (weights[i] as number) + w;
    total += w;
    count += 1;
  }
  return { bounds: h.bounds, weights, totalWeight: total, referenceAt: reference, halfLifeMs: h.halfLifeMs, count };
};

/**
 * The histogram with another half-life from `at` on (profiler.half_life_hours changed, or a profile made elsewhere
 * with the default): the weights are re-based to `at` under the old half-life — what they weigh at `at` stays as it
 * was, so every quantile is unchanged — and from then on they and new observations fade with the new one. The same
 * histogram when the half-life is already `halfLifeMs`.
 */
export const withHalfLife = (h: DecayingHistogram, halfLifeMs: number, at: number): DecayingHistogram => {
  checkHalfLife(halfLifeMs);
  if (h.halfLifeMs === halfLifeMs) return h;
  if (!Number.isFinite(at)) throw new InvalidHistogramError('at', at, 'must be a finite time');
  if (isEmptyHistogram(h) || at <= h.referenceAt) return { ...h, halfLifeMs };
  // Scaled, not dropped: the buckets keep their proportions (a histogram idle for over ~1,000 half-lives underflows
  // to empty, as its data has faded).
  const scale = 2 ** (-(at - h.referenceAt) / h.halfLifeMs);
  const weights = h.weights.map((w) => w * scale);
  return { bounds: h.bounds, weights, totalWeight: h.totalWeight * scale, referenceAt: at, halfLifeMs, count: h.count };
};

/** Adds one observation (see `observeAll`). */
export const observe = (h: DecayingHistogram, value: number, at: number, weight = 1): DecayingHistogram => observeAll(h, [{ value, at, weight }]);

/**
 * The q-quantile (0 ≤ q ≤ 1) as the upper bound of the bucket where the cumulative weight reaches
 * q × total, skipping empty buckets; undefined when the histogram holds no weight (no data is not 0).
 * Monotone in q by construction.
 */
export const histogramQuantile = (h: DecayingHistogram, q: number): number | undefined => {
  if (!Number.isFinite(q) || q < 0 || q > 1) throw new InvalidHistogramError('quantile', q, 'must be within 0..1');
  if (isEmptyHistogram(h)) return undefined;
  // Float sums of many weights may end a hair below q × total: allow for it so q = 1 finds the top bucket.
  const threshold = q * h.totalWeight * (1 - 1e-12);
  let cumulative = 0;
  let lastNonEmpty: number | undefined;
  for (let i = 0; i < h.weights.length; i++) {
    const w = h.weights[i] as number;
    if (!(w > 0)) continue;
    cumulative += w;
    lastNonEmpty = i;
    if (cumulative >= threshold) return h.bounds[i];
  }
  return lastNonEmpty === undefined ? undefined : h.bounds[lastNonEmpty];
};
