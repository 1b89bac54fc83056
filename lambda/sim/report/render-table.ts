import type { SimulationResult } from '../simulate';
import { COST_TARGET, UNSERVED_TARGET, type StrategySummary } from './summarize';

const COLUMNS: readonly { readonly title: string; readonly value: (s: StrategySummary) => string }[] = [
  { title: 'interruptions', value: (s) => String(s.interruptions) },
  { title: 'unserved vCPU·min', value: (s) => s.unservedVcpuMinutes.toFixed(1) },
  { title: 'unserved GiB·min', value: (s) => s.unservedGibMinutes.toFixed(1) },
  { title: 'recovery p50 s', value: (s) => s.recoveryP50Seconds.toFixed(0) },
  { title: 'recovery p95 s', value: (s) => s.recoveryP95Seconds.toFixed(0) },
  { title: 'cost $', value: (s) => s.cost.toFixed(2) },
  { title: 'requests adm/def', value: (s) => `${s.requestsAdmitted}/${s.requestsDeferred}` },
  { title: 'budget viol.', value: (s) => String(s.budgetViolations) },
  { title: 'over-commits', value: (s) => String(s.overCommits) },
];

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '∞');

/** The end-of-run table (plain text, fixed-width columns) and the target line. */
export const renderTable = (result: SimulationResult): string => {
  const names = Object.keys(result.strategies);
  const rows = names.map((n) => [n, ...COLUMNS.map((c) => c.value(result.strategies[n] as StrategySummary))]);
  const header = ['strategy', ...COLUMNS.map((c) => c.title)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const c = result.comparison;
  if (c !== undefined) {
    out.push('');
    out.push(
      `spotwise vs reactive: unserved vCPU·min ${pct(c.unservedRatio)} of reactive's (target ≤ ${pct(UNSERVED_TARGET)}: ${c.meetsUnservedTarget ? 'met' : 'NOT met'}), ` +
        `cost ${c.costIncrease >= 0 ? '+' : ''}${pct(c.costIncrease)} (target ≤ +${pct(COST_TARGET)}: ${c.meetsCostTarget ? 'met' : 'NOT met'})`,
    );
  }
  return out.join('\n');
};

/** One paragraph on what the run was: fleet, data, interruption scale, model source. */
export const renderRunDescription = (result: SimulationResult): string => {
  const s = result.setup;
  const primaries = s.sample.fleet.groups.filter((g) => g.role === 'primary');
  const standby = s.sample.fleet.groups.find((g) => g.role === 'standby');
  return [
    `seed ${result.seed}, ${result.hours} simulated hours, ${result.instances} Spot instances in ${primaries.map((g) => `${g.id} (${g.instances.length})`).join(' and ')}` +
      (standby ? `, standby On-Demand group ${standby.id} with a warm pool of ${standby.warmPool?.minSize ?? 0}` : ''),
    `demand: ${s.seriesUsed} real usage series from ${s.dataDir}; post-restart demand: ${s.postRestart.source}`,
    `interruptions: ${s.bursts.length} pool bursts drawn from Spot Advisor buckets ×${s.interruption.rateScale} (time compression), ` +
      `${Math.round(s.interruption.rebalanceShare * 100)} % with an early rebalance recommendation; ${s.requests.length} priority requests`,
  ].join('\n');
};
