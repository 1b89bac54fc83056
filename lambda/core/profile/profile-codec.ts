import * as z from 'zod';
import { parseWith } from '../../contracts/validation';
import {
  DIMENSIONS,
  SAMPLE_FIELDS,
  groupId,
  instanceId,
  type BehaviourProfile,
  type DecayingHistogram,
  type Dimension,
  type FeatureRows,
  type Resources,
  type RestartCycle,
} from '../domain';
import { HISTOGRAM_BOUNDS } from './decaying-histogram';

/**
 * A compact, JSON-safe form of a BehaviourProfile for storage. A profile held as plain JSON is
 * ~20 KB (every histogram repeats its ~200 bucket bounds; demand points repeat their keys and carry
 * 17-digit floats); 10,000 of them rewritten every 5 minutes is ~200 MB and ~200k DynamoDB write
 * units per tick. Encoded, a profile without restarts is ~6 KB (a quarter to a third of plain JSON):
 * - histograms name their bucket preset instead of listing bounds, and list only non-empty buckets
 *   as [index, weight] pairs (weights keep full precision: they decide quantiles and future decay);
 * - demand points and curves are tuples [vcpu, memoryGiB, networkMbps, diskIops] (null = no data),
 *   rounded to 6 significant digits — finer than any CloudWatch metric they come from.
 * `decodeProfile` validates what it reads (a corrupt item is a ValidationError naming the field).
 */

export const PROFILE_CODEC_VERSION = 1;

/** Significant digits kept for demand values (CloudWatch percentages and rates carry fewer). */
const DEMAND_DIGITS = 6;

type PresetName = keyof typeof HISTOGRAM_BOUNDS;
const PRESET_NAMES = Object.keys(HISTOGRAM_BOUNDS) as PresetName[];

const round = (v: number): number => (v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(DEMAND_DIGITS)));

type Tuple = [number | null, number | null, number | null, number | null];
const toTuple = (r: Partial<Resources>): Tuple => DIMENSIONS.map((d) => (r[d] === undefined ? null : round(r[d] as number))) as Tuple;
const fromTuple = (t: readonly (number | null)[]): Partial<Resources> => {
  const out: { -readonly [D in Dimension]?: number } = {};
  DIMENSIONS.forEach((d, i) => {
    const v = t[i];
    if (v !== null && v !== undefined) out[d] = v;
  });
  return out;
};
const fullFromTuple = (t: readonly (number | null)[]): Resources => {
  const p = fromTuple(t);
  return { vcpu: p.vcpu ?? 0, memoryGiB: p.memoryGiB ?? 0, networkMbps: p.networkMbps ?? 0, diskIops: p.diskIops ?? 0 };
};

/** Feature rows as [scale, ...values] per dimension (values are already rounded where they are made). */
const encodeFeatureRows = (rows: FeatureRows): Partial<Record<Dimension, number[]>> =>
  Object.fromEntries(DIMENSIONS.flatMap((d) => (rows[d] === undefined ? [] : [[d, [rows[d].scale, ...rows[d].values]]])));
const decodeFeatureRows = (stored: Partial<Record<Dimension, number[]>>): FeatureRows =>
  Object.fromEntries(DIMENSIONS.flatMap((d) => (stored[d] === undefined ? [] : [[d, { scale: stored[d][0] as number, values: stored[d].slice(1) }]])));

const presetOf = (bounds: readonly number[]): PresetName | undefined =>
  PRESET_NAMES.find((name) => {
    const preset = HISTOGRAM_BOUNDS[name];
    return preset === bounds || (preset.length === bounds.length && preset.every((b, i) => b === bounds[i]));
  });

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const nonNegative = finite.refine((v) => v >= 0, 'expected a number ≥ 0');
const tuple = z.array(finite.nullable()).length(4);

const histogramSchema = z
  .object({
    b: z.union([z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]), z.array(nonNegative).min(1)]),
    h: finite.refine((v) => v > 0, 'expected a half-life > 0'),
    r: finite,
    n: z.number().int().min(0),
    t: nonNegative,
    w: z.array(z.tuple([z.number().int().min(0), nonNegative])),
  })
  .strict()
  .superRefine((h, ctx) => {
    const size = typeof h.b === 'string' ? HISTOGRAM_BOUNDS[h.b].length : h.b.length;
    if (typeof h.b !== 'string') {
      h.b.forEach((b, i, all) => {
        if (i > 0 && b <= (all[i - 1] as number)) ctx.addIssue({ code: 'custom', path: ['b', i], message: 'bounds must be strictly ascending' });
      });
    }
    h.w.forEach(([i], k) => {
      if (i >= size) ctx.addIssue({ code: 'custom', path: ['w', k, 0], message: `bucket index beyond the ${size} buckets` });
    });
  });

const cycleSchema = z
  .object({
    i: finite,
    r: finite,
    d: finite,
    before: tuple,
    peak: tuple,
    curve: z.array(tuple),
    u: z.array(z.enum(DIMENSIONS)).optional(),
    s: z.array(z.enum(DIMENSIONS)).optional(),
    f: tuple.optional(),
    m: tuple.optional(),
    hc: z.object({ vcpu: finite.optional(), memoryGiB: finite.optional() }).strict().optional(),
  })
  .strict();

const storedProfileSchema = z
  .object({
    v: z.literal(PROFILE_CODEC_VERSION),
    id: z.string().min(1),
    g: z.string().min(1),
    type: z.string(),
    vcpus: finite.refine((v) => v > 0, 'expected vcpus > 0'),
    job: z.string(),
    launched: finite,
    updated: finite,
    steady: z.object({ vcpu: histogramSchema, memoryGiB: histogramSchema, networkMbps: histogramSchema, diskIops: histogramSchema }).strict(),
    perCore: histogramSchema,
    conn: histogramSchema,
    peak: nonNegative,
    recent: z.array(z.tuple([finite, tuple])),
    // Daily load: 24 [mean, samples] pairs (absent in profiles written before it existed).
    day: z
      .array(z.tuple([nonNegative, z.number().int().min(0)]))
      .length(24)
      .optional(),
    restarts: z.array(cycleSchema),
    open: z
      .object({
        i: finite,
        r: finite,
        before: tuple,
        curve: z.array(tuple),
        f: tuple.optional(),
        m: tuple.optional(),
        from: z.string().min(1).optional(),
        // Feature rows before the interruption, per dimension: [scale, ...values].
        x: z.partialRecord(z.enum(DIMENSIONS), z.array(finite).min(2)).optional(),
      })
      .strict()
      .optional(),
    heirOf: z.string().min(1).optional(),
    passedTo: z.string().min(1).optional(),
    gaps: z.array(z.number().int().min(0)).length(SAMPLE_FIELDS.length),
    seen: z.number().int().min(0),
    last: finite.optional(),
    lateLast: finite.optional(),
  })
  .strict();

export type StoredProfile = z.infer<typeof storedProfileSchema>;
type StoredHistogram = z.infer<typeof histogramSchema>;

const encodeHistogram = (h: DecayingHistogram): StoredHistogram => {
  const w: [number, number][] = [];
  h.weights.forEach((weight, i) => {
    if (weight > 0) w.push([i, weight]);
  });
  return { b: presetOf(h.bounds) ?? [...h.bounds], h: h.halfLifeMs, r: h.referenceAt, n: h.count, t: h.totalWeight, w };
};

const decodeHistogram = (s: StoredHistogram): DecayingHistogram => {
  const bounds = typeof s.b === 'string' ? HISTOGRAM_BOUNDS[s.b] : s.b;
  const weights = new Array<number>(bounds.length).fill(0);
  for (const [i, weight] of s.w) weights[i] = weight;
  return { bounds, weights, totalWeight: s.t, referenceAt: s.r, halfLifeMs: s.h, count: s.n };
};

const encodeCycle = (c: RestartCycle): StoredProfile['restarts'][number] => ({
  i: c.interruptedAt,
  r: c.restartedAt,
  d: c.downtimeSeconds,
  before: toTuple(c.steadyBefore),
  peak: toTuple(c.peakAfter),
  curve: c.curve.map(toTuple),
  ...(c.unobserved && c.unobserved.length > 0 ? { u: [...c.unobserved] } : {}),
  ...(c.saturated && c.saturated.length > 0 ? { s: [...c.saturated] } : {}),
  ...(c.forecastBefore !== undefined ? { f: toTuple(c.forecastBefore) } : {}),
  ...(c.modelBefore !== undefined ? { m: toTuple(c.modelBefore) } : {}),
  ...(c.hostCapacity !== undefined ? { hc: { ...c.hostCapacity } } : {}),
});

/** The compact storage form of a profile (see the module comment). */
export const encodeProfile = (p: BehaviourProfile): StoredProfile => ({
  v: PROFILE_CODEC_VERSION,
  id: p.instanceId,
  g: p.groupId,
  type: p.instanceType,
  vcpus: p.vcpus,
  job: p.jobType,
  launched: p.launchedAt,
  updated: p.updatedAt,
  steady: {
    vcpu: encodeHistogram(p.steady.vcpu),
    memoryGiB: encodeHistogram(p.steady.memoryGiB),
    networkMbps: encodeHistogram(p.steady.networkMbps),
    diskIops: encodeHistogram(p.steady.diskIops),
  },
  perCore: encodeHistogram(p.cpuPerCore),
  conn: encodeHistogram(p.connections),
  peak: p.cpuPeakPercent,
  recent: p.recent.map((r) => [r.at, toTuple(r.demand)]),
  ...(p.dailyVcpu !== undefined ? { day: p.dailyVcpu.map((b) => [round(b.mean), b.n] as [number, number]) } : {}),
  restarts: p.restarts.map(encodeCycle),
  ...(p.openRestart
    ? {
        open: {
          i: p.openRestart.interruptedAt,
          r: p.openRestart.restartedAt,
          before: toTuple(p.openRestart.steadyBefore),
          curve: p.openRestart.curve.map(toTuple),
          ...(p.openRestart.forecastBefore !== undefined ? { f: toTuple(p.openRestart.forecastBefore) } : {}),
          ...(p.openRestart.modelBefore !== undefined ? { m: toTuple(p.openRestart.modelBefore) } : {}),
          ...(p.openRestart.from !== undefined ? { from: p.openRestart.from } : {}),
          ...(p.openRestart.featuresBefore !== undefined ? { x: encodeFeatureRows(p.openRestart.featuresBefore) } : {}),
        },
      }
    : {}),
  ...(p.inheritedFrom !== undefined ? { heirOf: p.inheritedFrom } : {}),
  ...(p.inheritedBy !== undefined ? { passedTo: p.inheritedBy } : {}),
  gaps: SAMPLE_FIELDS.map((f) => p.gaps[f]),
  seen: p.samplesSeen,
  ...(p.lastSampleAt !== undefined ? { last: p.lastSampleAt } : {}),
  ...(p.lateSampleAt !== undefined ? { lateLast: p.lateSampleAt } : {}),
});

/** Reads a stored profile back; throws ValidationError naming the field and value when it is corrupt. */
export const decodeProfile = (raw: unknown, what = 'stored behaviour profile'): BehaviourProfile => {
  const s = parseWith(storedProfileSchema, what, raw);
  const gaps = Object.fromEntries(SAMPLE_FIELDS.map((f, i) => [f, s.gaps[i] as number])) as BehaviourProfile['gaps'];
  return {
    instanceId: instanceId(s.id),
    groupId: groupId(s.g),
    instanceType: s.type,
    vcpus: s.vcpus,
    jobType: s.job,
    launchedAt: s.launched,
    updatedAt: s.updated,
    steady: {
      vcpu: decodeHistogram(s.steady.vcpu),
      memoryGiB: decodeHistogram(s.steady.memoryGiB),
      networkMbps: decodeHistogram(s.steady.networkMbps),
      diskIops: decodeHistogram(s.steady.diskIops),
    },
    cpuPerCore: decodeHistogram(s.perCore),
    cpuPeakPercent: s.peak,
    connections: decodeHistogram(s.conn),
    recent: s.recent.map(([at, t]) => ({ at, demand: fromTuple(t) })),
    ...(s.day !== undefined ? { dailyVcpu: s.day.map(([mean, n]) => ({ mean, n })) } : {}),
    restarts: s.restarts.map((c) => ({
      interruptedAt: c.i,
      restartedAt: c.r,
      downtimeSeconds: c.d,
      steadyBefore: fullFromTuple(c.before),
      peakAfter: fullFromTuple(c.peak),
      curve: c.curve.map(fullFromTuple),
      ...(c.u ? { unobserved: c.u } : {}),
      ...(c.s ? { saturated: c.s } : {}),
      ...(c.f ? { forecastBefore: fullFromTuple(c.f) } : {}),
      ...(c.m ? { modelBefore: fullFromTuple(c.m) } : {}),
      ...(c.hc ? { hostCapacity: c.hc } : {}),
    })),
    ...(s.open
      ? {
          openRestart: {
            interruptedAt: s.open.i,
            restartedAt: s.open.r,
            steadyBefore: fullFromTuple(s.open.before),
            curve: s.open.curve.map(fromTuple),
            ...(s.open.f !== undefined ? { forecastBefore: fullFromTuple(s.open.f) } : {}),
            ...(s.open.m !== undefined ? { modelBefore: fullFromTuple(s.open.m) } : {}),
            ...(s.open.from !== undefined ? { from: instanceId(s.open.from) } : {}),
            ...(s.open.x !== undefined ? { featuresBefore: decodeFeatureRows(s.open.x) } : {}),
          },
        }
      : {}),
    ...(s.heirOf !== undefined ? { inheritedFrom: instanceId(s.heirOf) } : {}),
    ...(s.passedTo !== undefined ? { inheritedBy: instanceId(s.passedTo) } : {}),
    gaps,
    samplesSeen: s.seen,
    ...(s.last !== undefined ? { lastSampleAt: s.last } : {}),
    ...(s.lateLast !== undefined ? { lateSampleAt: s.lateLast } : {}),
  };
};
