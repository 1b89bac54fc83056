import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { parseWith } from '../contracts/validation';

/**
 * The Spot Instance Advisor feed (https://aws.amazon.com/ec2/spot/instance-advisor/): per region, OS and
 * instance type, an interruption-frequency bucket `r` (share of Spot capacity reclaimed in the trailing
 * month) and the savings `s` (% below On-Demand, trailing 30 days).
 */
const advisorSchema = z.object({
  ranges: z.array(z.object({ index: z.number().int().min(0), label: z.string(), max: z.number().positive() })).min(1),
  spot_advisor: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.object({ s: z.number().min(0).max(100), r: z.number().int().min(0) })))),
});

export interface SpotAdvisorEntry {
  /** Bucket index (0 = "<5%" … 4 = ">20%"). */
  readonly bucket: number;
  readonly bucketLabel: string;
  /** Savings over On-Demand, percent. */
  readonly savingsPercent: number;
  /** Share of the pool's capacity reclaimed per month (0..1), the representative value of the bucket. */
  readonly monthlyReclaimRate: number;
}

export interface SpotAdvisor {
  readonly region: string;
  readonly os: string;
  readonly entries: ReadonlyMap<string, SpotAdvisorEntry>;
}

/**
 * Representative monthly reclaim rate per bucket. The feed gives bucket bounds only (0–5, 5–10, 10–15,
 * 15–20, >20 %): the midpoint is used for the closed buckets, and 25 % for ">20%" (its nominal upper bound
 * is 100 %, which would make the top bucket dominate every run; 25 % is the midpoint of 20–30 %, where
 * published third-party measurements of that bucket mostly fall).
 */
export const BUCKET_MONTHLY_RATE: readonly number[] = [0.025, 0.075, 0.125, 0.175, 0.25];

export const monthlyRateOfBucket = (bucket: number): number => {
  const rate = BUCKET_MONTHLY_RATE[bucket];
  if (rate === undefined) throw new RangeError(`unknown Spot Advisor bucket ${bucket} (expected 0..${BUCKET_MONTHLY_RATE.length - 1})`);
  return rate;
};

/** Parses a Spot Advisor document (full feed or a region slice) and takes one region and OS. */
export const parseSpotAdvisor = (json: unknown, region: string, os: string, source = 'Spot Advisor data'): SpotAdvisor => {
  const doc = parseWith(advisorSchema, source, json);
  const slice = doc.spot_advisor[region]?.[os];
  if (slice === undefined) throw new Error(`${source} has no entries for region ${JSON.stringify(region)} and OS ${JSON.stringify(os)}`);
  const labels = new Map(doc.ranges.map((r) => [r.index, r.label]));
  const entries = new Map<string, SpotAdvisorEntry>();
  for (const [type, { s, r }] of Object.entries(slice)) {
    const label = labels.get(r);
    if (label === undefined) throw new Error(`${source}: ${region}/${os}/${type}.r is ${r}, which is not a bucket in ranges`);
    entries.set(type, { bucket: r, bucketLabel: label, savingsPercent: s, monthlyReclaimRate: monthlyRateOfBucket(r) });
  }
  return { region, os, entries };
};

export const loadSpotAdvisor = (file: string, region: string, os: string): SpotAdvisor => {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`reading Spot Advisor data from ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseSpotAdvisor(json, region, os, file);
};

/** The entry of a type, or a clear error naming the type, region and OS. */
export const advisorEntry = (advisor: SpotAdvisor, type: string): SpotAdvisorEntry => {
  const entry = advisor.entries.get(type);
  if (entry === undefined) throw new Error(`no Spot Advisor entry for instance type ${JSON.stringify(type)} in ${advisor.region}/${advisor.os}`);
  return entry;
};
