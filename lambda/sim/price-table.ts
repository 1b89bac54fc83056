import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { parseWith } from '../contracts/validation';
import type { InstanceTypeSpec } from '../core/domain';
import type { SpotAdvisor } from './spot-advisor';

/**
 * A stopped warm-pool instance is billed for its EBS volume only: a 30 GiB gp3 root volume at
 * $0.08 per GiB-month (US East) over a 730-hour month. See data/SOURCES.md.
 */
export const STOPPED_STORAGE_USD_PER_HOUR = (30 * 0.08) / 730;

const PRICE_COLUMNS = ['instance_type', 'vcpu', 'memory_gib', 'network_baseline_mbps', 'ebs_baseline_iops', 'on_demand_usd_per_hour'] as const;

const rowSchema = z.object({
  instance_type: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'expected an instance type like "m5.large"'),
  vcpu: z.coerce.number().positive(),
  memory_gib: z.coerce.number().positive(),
  network_baseline_mbps: z.coerce.number().positive(),
  ebs_baseline_iops: z.coerce.number().positive(),
  on_demand_usd_per_hour: z.coerce.number().positive(),
});

/**
 * Parses the price table (CSV, header as in data/prices/) into instance type specs. The spot price is
 * On-Demand × (1 − savings / 100) with the Spot Advisor's trailing-30-day savings for the type; a type the
 * advisor does not list has no spot price (the catalog then treats it as On-Demand only).
 */
export const parsePriceTable = (csv: string, advisor: SpotAdvisor | undefined, source = 'price table'): InstanceTypeSpec[] => {
  const lines = csv
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const header = lines[0]?.split(',') ?? [];
  const missing = PRICE_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Error(`${source}: header lacks column(s) ${missing.join(', ')} (got ${JSON.stringify(lines[0] ?? '')})`);
  return lines.slice(1).map((line, i) => {
    const fields = line.split(',');
    const raw = Object.fromEntries(header.map((h, j) => [h, fields[j]]));
    const row = parseWith(rowSchema, `${source} line ${i + 2}`, raw);
    const savings = advisor?.entries.get(row.instance_type)?.savingsPercent;
    return {
      name: row.instance_type,
      resources: { vcpu: row.vcpu, memoryGiB: row.memory_gib, networkMbps: row.network_baseline_mbps, diskIops: row.ebs_baseline_iops },
      onDemandHourlyUsd: row.on_demand_usd_per_hour,
      ...(savings !== undefined ? { spotHourlyUsd: roundUsd(row.on_demand_usd_per_hour * (1 - savings / 100)) } : {}),
    };
  });
};

/** Prices are kept to 1/10,000 of a dollar, like AWS's own spot price history. */
const roundUsd = (usd: number): number => Math.round(usd * 10_000) / 10_000;

export const loadPriceTable = (file: string, advisor: SpotAdvisor | undefined): InstanceTypeSpec[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`reading the price table ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parsePriceTable(text, advisor, file);
};

/** Hourly price of an instance in a state: running/pending at its lifecycle's price, stopped at storage cost. */
export const hourlyCost = (spec: InstanceTypeSpec, lifecycle: 'spot' | 'on-demand', state: 'running' | 'stopped'): number => {
  if (state === 'stopped') return STOPPED_STORAGE_USD_PER_HOUR;
  return lifecycle === 'spot' ? (spec.spotHourlyUsd ?? spec.onDemandHourlyUsd) : spec.onDemandHourlyUsd;
};
