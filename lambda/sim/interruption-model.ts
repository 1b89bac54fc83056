import type { Random } from '../core/domain';
import { exponential, rankOf, uniform } from '../data/random';

/**
 * Spot interruptions as the simulator draws them.
 *
 * AWS reclaims Spot capacity per *pool* (instance type × AZ), and most interruptions of one pool land
 * within ~3 minutes of each other (DESIGN.md §1). So the unit drawn here is a *burst*: at a Poisson time a
 * pool loses a share of its instances, each victim's 2-minute warning spread over the following minutes.
 * The Spot Instance Advisor bucket of the type says how much of the pool is reclaimed per month; the burst
 * rate follows from it and the mean share a burst takes:
 *
 *   bursts per hour = monthlyReclaimRate × rateScale / (meanReclaimShare × 730 h)
 *
 * `rateScale` compresses time: at the Advisor's real rates a 48-hour run of 40 instances would see fewer
 * than one interruption, so the default replays about 50 months' worth of reclaims in the run's window
 * (stated in every report). Rebalance recommendations are pool-wide risk signals: for a share of bursts,
 * every instance of the pool gets one some minutes before the first warning; for the others it arrives
 * together with the warning (AWS: "can arrive sooner than, or at the same time as, the interruption notice").
 */
export interface InterruptionModelParams {
  /** Multiplies the Advisor's monthly rates (see above). 1 = real rates. */
  readonly rateScale: number;
  /** Share of a pool's instances one burst reclaims: uniform in [min, max]. */
  readonly reclaimShare: { readonly min: number; readonly max: number };
  /** Mean delay of a victim's warning after the burst's start (exponential; 60 s puts 95 % within 3 min). */
  readonly warningSpreadMeanSeconds: number;
  /** Warnings later than this after the burst start are clipped to it. */
  readonly warningSpreadMaxSeconds: number;
  /** Share of bursts whose rebalance recommendation comes ahead of the first warning (0..1). */
  readonly rebalanceShare: number;
  /**
   * Share of rebalance recommendations EventBridge never delivers to the strategies (0..1). AWS emits them "on a best
   * effort basis" (EC2 User Guide, "EC2 instance rebalance recommendations") and publishes no rate; Auto Scaling's own
   * Capacity Rebalancing still acts on the signal (it is not an EventBridge delivery). Drawn per recommendation from the
   * burst's seed and the instance (recommendationLost), so every strategy loses the same ones.
   */
  readonly lostRecommendationShare: number;
  /** How far ahead of the first warning an early rebalance recommendation comes: uniform in [min, max] seconds. */
  readonly rebalanceLeadSeconds: { readonly min: number; readonly max: number };
  /** After a burst the pool has no spare capacity for this long: launches into it fail (InsufficientInstanceCapacity). */
  readonly poolExhaustedSeconds: number;
}

export const DEFAULT_INTERRUPTION_PARAMS: InterruptionModelParams = {
  rateScale: 50,
  reclaimShare: { min: 0.3, max: 1 },
  warningSpreadMeanSeconds: 60,
  warningSpreadMaxSeconds: 600,
  rebalanceShare: 0.5,
  lostRecommendationShare: 0,
  rebalanceLeadSeconds: { min: 120, max: 900 },
  poolExhaustedSeconds: 1800,
};

export interface PoolRisk {
  readonly instanceType: string;
  readonly availabilityZone: string;
  /** Share of the pool reclaimed per month (Spot Advisor bucket, see spot-advisor.ts). */
  readonly monthlyReclaimRate: number;
}

export interface PoolBurst {
  /** Stable id (pool + ordinal), also the seed of victim selection. */
  readonly id: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  /** When the first warning of the burst may come (epoch ms). */
  readonly at: number;
  readonly reclaimShare: number;
  /** When the pool-wide rebalance recommendation comes, if it comes early; otherwise with each warning. */
  readonly rebalanceAt?: number;
  /** Seed for choosing victims and their warning offsets. */
  readonly seed: number;
  /**
   * A replayed interruption (`--interruptions FILE`) rather than a drawn one: every victim's warning comes at
   * `at` itself (no spread), and exactly round(reclaimShare × pool size) of the pool's instances, at least
   * one, are chosen (by rank under `seed`) instead of each being hit with probability reclaimShare.
   */
  readonly pinned?: boolean;
}

const HOURS_PER_MONTH = 730;

export const burstsPerHour = (risk: PoolRisk, params: InterruptionModelParams): number => {
  const meanShare = (params.reclaimShare.min + params.reclaimShare.max) / 2;
  return (risk.monthlyReclaimRate * params.rateScale) / (meanShare * HOURS_PER_MONTH);
};

/** Validates parameters; errors name the field and value. */
export const checkInterruptionParams = (p: InterruptionModelParams): InterruptionModelParams => {
  const bad = (field: string, value: unknown, want: string): never => {
    throw new RangeError(`interruption model: ${field} must be ${want} (got ${JSON.stringify(value)})`);
  };
  if (!(p.rateScale >= 0 && Number.isFinite(p.rateScale))) bad('rateScale', p.rateScale, 'a finite number ≥ 0');
  if (!(p.reclaimShare.min > 0 && p.reclaimShare.min <= p.reclaimShare.max && p.reclaimShare.max <= 1))
    bad('reclaimShare', p.reclaimShare, '0 < min ≤ max ≤ 1');
  if (!(p.warningSpreadMeanSeconds > 0 && p.warningSpreadMaxSeconds >= p.warningSpreadMeanSeconds))
    bad('warningSpread', [p.warningSpreadMeanSeconds, p.warningSpreadMaxSeconds], 'mean > 0 and max ≥ mean');
  if (!(p.rebalanceShare >= 0 && p.rebalanceShare <= 1)) bad('rebalanceShare', p.rebalanceShare, 'within [0, 1]');
  if (!(p.lostRecommendationShare >= 0 && p.lostRecommendationShare <= 1)) bad('lostRecommendationShare', p.lostRecommendationShare, 'within [0, 1]');
  if (!(p.rebalanceLeadSeconds.min >= 0 && p.rebalanceLeadSeconds.min <= p.rebalanceLeadSeconds.max))
    bad('rebalanceLeadSeconds', p.rebalanceLeadSeconds, '0 ≤ min ≤ max');
  if (!(p.poolExhaustedSeconds >= 0)) bad('poolExhaustedSeconds', p.poolExhaustedSeconds, '≥ 0');
  return p;
};

/**
 * Draws every pool's bursts in [start, end) (epoch ms), sorted by time then pool. Pools are visited in
 * the order given and each draws from `rng` in turn, so the caller passes a dedicated stream.
 */
export const drawPoolBursts = (
  pools: readonly PoolRisk[],
  window: { readonly start: number; readonly end: number },
  params: InterruptionModelParams,
  rng: Random,
): PoolBurst[] => {
  checkInterruptionParams(params);
  const bursts: PoolBurst[] = [];
  for (const pool of pools) {
    const rate = burstsPerHour(pool, params);
    if (rate <= 0) continue;
    const meanGapMs = 3_600_000 / rate;
    let at = window.start + exponential(rng, meanGapMs);
    let ordinal = 0;
    while (at < window.end) {
      const reclaimShare = uniform(rng, params.reclaimShare.min, params.reclaimShare.max);
      const early = rng() < params.rebalanceShare;
      const lead = uniform(rng, params.rebalanceLeadSeconds.min, params.rebalanceLeadSeconds.max);
      const seed = Math.floor(rng() * 2 ** 32);
      const whole = Math.floor(at / 1000) * 1000; // whole seconds keep reports readable
      bursts.push({
        id: `${pool.instanceType}@${pool.availabilityZone}#${ordinal}`,
        instanceType: pool.instanceType,
        availabilityZone: pool.availabilityZone,
        at: whole,
        reclaimShare,
        ...(early ? { rebalanceAt: whole - Math.round(lead) * 1000 } : {}),
        seed,
      });
      ordinal += 1;
      at += exponential(rng, meanGapMs);
    }
  }
  return bursts.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
};

export interface Victim {
  readonly instanceId: string;
  /** When the 2-minute warning arrives (epoch ms); the instance is reclaimed 120 s later. */
  readonly warningAt: number;
}

/**
 * Chooses the victims of a burst among the instances in its pool when it strikes. Each instance is hit
 * when its rank under the burst's seed is below the reclaim share, so the choice depends on the instance
 * id and the burst only, not on list order — two strategies that hold the same instance see the same fate.
 */
export const selectVictims = (burst: PoolBurst, instanceIds: readonly string[], params: InterruptionModelParams): Victim[] =>
  burst.pinned === true
    ? selectPinnedVictims(burst, instanceIds)
    : instanceIds
        .filter((id) => rankOf(burst.seed, `hit:${id}`) < burst.reclaimShare)
        .map((id) => {
          const u = rankOf(burst.seed, `delay:${id}`);
          const delay = Math.min(-params.warningSpreadMeanSeconds * Math.log(1 - u), params.warningSpreadMaxSeconds);
          return { instanceId: id, warningAt: burst.at + Math.round(delay) * 1000 };
        })
        .sort((a, b) => a.warningAt - b.warningAt || a.instanceId.localeCompare(b.instanceId));

/**
 * Whether EventBridge loses the rebalance recommendation `burst` sends for `instanceId` (see
 * InterruptionModelParams.lostRecommendationShare): a function of the burst's seed and the instance only.
 */
export const recommendationLost = (
  burst: Pick<PoolBurst, 'seed'>,
  instanceId: string,
  params: Pick<InterruptionModelParams, 'lostRecommendationShare'>,
): boolean => params.lostRecommendationShare > 0 && rankOf(burst.seed, `lost-recommendation:${instanceId}`) < params.lostRecommendationShare;

/** How many of a pool's `poolSize` instances a pinned burst takes: the share rounded, at least one (none from an empty pool). */
export const pinnedVictimCount = (reclaimShare: number, poolSize: number): number =>
  poolSize === 0 ? 0 : Math.min(poolSize, Math.max(1, Math.round(reclaimShare * poolSize)));

const selectPinnedVictims = (burst: PoolBurst, instanceIds: readonly string[]): Victim[] =>
  [...instanceIds]
    .sort((a, b) => rankOf(burst.seed, `hit:${a}`) - rankOf(burst.seed, `hit:${b}`) || a.localeCompare(b))
    .slice(0, pinnedVictimCount(burst.reclaimShare, instanceIds.length))
    .map((id) => ({ instanceId: id, warningAt: burst.at }))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));

/** One row of an interruption file: a warning at `timeSeconds` after the start in the pool labelled `pool`. */
export interface ReplayedInterruption {
  /** 1-based line of the file, for messages and stable burst ids. */
  readonly line: number;
  readonly timeSeconds: number;
  readonly pool: string;
  readonly fraction: number;
}

/** The Spot pools of the fleet a replayed label can land on, in the fleet's order. */
export interface SpotPoolRef {
  readonly instanceType: string;
  readonly availabilityZone: string;
}

/**
 * The label → pool map of a replayed sequence: distinct labels take the fleet's Spot pools in order of
 * first appearance, cycling when there are more labels than pools.
 */
export const mapPoolLabels = (rows: readonly ReplayedInterruption[], pools: readonly SpotPoolRef[]): Map<string, SpotPoolRef> => {
  if (pools.length === 0) throw new RangeError('replayed interruptions need at least one Spot pool in the fleet');
  const map = new Map<string, SpotPoolRef>();
  for (const r of rows) if (!map.has(r.pool)) map.set(r.pool, pools[map.size % pools.length] as SpotPoolRef);
  return map;
};

/**
 * Replayed interruptions as bursts: each row is a pinned burst at start + time (whole seconds), taking its
 * fraction of the pool its label maps to; the rebalance recommendation comes with each warning (a file of
 * reclaims says nothing of earlier recommendations). Victims are chosen under a seed drawn from `rng` per
 * row, so a replayed file still meets different victims on different seeds.
 */
export const replayedBursts = (rows: readonly ReplayedInterruption[], pools: readonly SpotPoolRef[], startAt: number, rng: Random): PoolBurst[] => {
  const labels = mapPoolLabels(rows, pools);
  return rows
    .map((r) => {
      const pool = labels.get(r.pool) as SpotPoolRef;
      return {
        id: `${pool.instanceType}@${pool.availabilityZone}#line${r.line}`,
        instanceType: pool.instanceType,
        availabilityZone: pool.availabilityZone,
        at: startAt + Math.round(r.timeSeconds) * 1000,
        reclaimShare: r.fraction,
        seed: Math.floor(rng() * 2 ** 32),
        pinned: true,
      };
    })
    .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
};
