import { renderAblationComparison } from '../runs/paired-difference';
import type { SimulationResult } from '../simulate';
import type { BaselineComparison } from '../runs/compare-baselines';
import type { FrontierComparison, FrontierPoint } from '../runs/frontier';
import { KNOB_STRATEGIES, isKnobStrategy } from '../strategies/strategy-names';
import { monitoringOf } from '../engine/sim-types';

type Metrics = Readonly<Record<string, unknown>>;

const numberOf = (m: Metrics, key: string): number | undefined => {
  const v = m[key];
  return typeof v === 'number' ? v : undefined;
};
/** A metric as text; "—" when the run does not report it. */
const fmt = (m: Metrics, key: string, f: (x: number) => string): string => {
  const v = numberOf(m, key);
  return v === undefined ? '—' : f(v);
};
const fixed =
  (digits: number) =>
  (x: number): string =>
    Number.isFinite(x) ? x.toFixed(digits) : String(x);
const percent =
  (digits: number) =>
  (x: number): string =>
    Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '—';

/** The table's columns, each from one metric of the JSON (means over seeds when there are several). */
export const TABLE_COLUMNS: readonly { readonly title: string; readonly value: (m: Metrics) => string }[] = [
  { title: 'knob', value: (m) => fmt(m, 'knob', (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1))) },
  { title: 'interruptions', value: (m) => fmt(m, 'interruptions', fixed(0)) },
  { title: 'unserved vCPU·min', value: (m) => fmt(m, 'unservedVcpuMinutes', fixed(1)) },
  { title: 'availability', value: (m) => fmt(m, 'availability', percent(3)) },
  { title: 'cost $', value: (m) => fmt(m, 'cost', fixed(2)) },
  { title: 'savings vs OD', value: (m) => fmt(m, 'savingsVsOnDemand', percent(1)) },
  { title: 'failed actions', value: (m) => fmt(m, 'failedActions', fixed(0)) },
  { title: 'HC replacements', value: (m) => fmt(m, 'healthCheckReplacements', fixed(0)) },
  { title: 'stale writes', value: (m) => fmt(m, 'staleCapacityWrites', fixed(0)) },
  { title: 'idle standby h', value: (m) => fmt(m, 'idleStandbyInstanceHours', fixed(1)) },
  { title: 'recovery p50 s', value: (m) => fmt(m, 'recoveryP50Seconds', fixed(0)) },
  { title: 'recovery p95 s', value: (m) => fmt(m, 'recoveryP95Seconds', fixed(0)) },
  { title: 'budget viol.', value: (m) => fmt(m, 'budgetViolations', fixed(0)) },
  { title: 'over-commits', value: (m) => fmt(m, 'overCommits', fixed(0)) },
];

const layout = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
};

const money = (x: number): string => `$${x.toFixed(2)}`;
const signedPct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %` : '—');

/** "spotwise: unserved 1.2 vCPU·min vs 3.4 for warm-reactive (the best baseline), cost $99.10 vs $97.00 (+2.2 %), ..." */
export const renderBaselineComparison = (c: BaselineComparison, over: string): string =>
  `${c.strategy} vs the best baseline${over} (${c.baseline}, the least unserved): unserved ${c.unservedVcpuMinutes.toFixed(1)} vs ${c.baselineUnservedVcpuMinutes.toFixed(1)} vCPU·min, ` +
  `availability ${percent(3)(c.availability)} vs ${percent(3)(c.baselineAvailability)}, ` +
  `cost ${money(c.cost)} vs ${money(c.baselineCost)} (${signedPct(c.baselineCost > 0 ? c.cost / c.baselineCost - 1 : NaN)})`;

const range = (points: readonly FrontierPoint[], key: 'cost' | 'unservedVcpuMinutes'): string => {
  const xs = points.map((p) => p[key]);
  const f = key === 'cost' ? money : (x: number) => x.toFixed(1);
  return xs.length === 0 ? 'no points' : `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
};

/** The two frontier sentences for one of spotwise's strategies (means over the seeds). */
export const renderFrontierComparison = (name: string, c: FrontierComparison, frontier: Readonly<Record<string, readonly FrontierPoint[]>>): string[] => {
  const baselines = Object.keys(frontier);
  const atCost = baselines.map((b) => {
    const u = c.unservedAtCost[b];
    return u === undefined ? `${b} dearer at every knob (its costs ${range(frontier[b] ?? [], 'cost')})` : `${b} ${u.toFixed(1)}`;
  });
  const atUnserved = baselines.map((b) => {
    const x = c.costAtUnserved[b];
    return x === undefined ? `${b} outside the frontier (its unserved ${range(frontier[b] ?? [], 'unservedVcpuMinutes')} vCPU·min)` : `${b} ${money(x)}`;
  });
  return [
    `${name} (${money(c.cost)}, ${c.unservedVcpuMinutes.toFixed(1)} unserved vCPU·min):`,
    `  for at most ${name}'s cost, ${c.bestAtCost ? `the best baseline leaves ${c.bestAtCost.unservedVcpuMinutes.toFixed(1)} vCPU·min unserved (${c.bestAtCost.name})` : 'every baseline costs more'} — ${atCost.join(', ')}`,
    `  for at most ${name}'s unserved, ${c.cheapestAtUnserved ? `the cheapest baseline costs ${money(c.cheapestAtUnserved.cost)} (${c.cheapestAtUnserved.name})` : "no baseline's frontier reaches"} — ${atUnserved.join(', ')}`,
  ];
};

/** The frontier points as a small table: per knob strategy and knob value, mean cost, unserved, availability. */
const renderFrontierTable = (frontier: Readonly<Record<string, readonly FrontierPoint[]>>): string[] =>
  layout(
    ['frontier', 'knob', 'cost $', 'unserved vCPU·min', 'availability'],
    Object.entries(frontier).flatMap(([name, points]) =>
      points.map((p) => [name, String(p.knob), p.cost.toFixed(2), p.unservedVcpuMinutes.toFixed(1), percent(3)(p.availability)]),
    ),
  );

/**
 * One line: each strategy's unserved demand split by what caused it (summarize.ts, UnservedByCause), so a reader
 * sees whether a strategy loses demand to Spot, to its own voluntary disruptions, or to moves (every cut-over is a
 * restart). Undefined when no summary carries the split.
 */
export const renderUnservedByCause = (result: SimulationResult, over: string): string | undefined => {
  const parts: string[] = [];
  for (const [name, s] of Object.entries(result.summary)) {
    const c = s.mean.unservedByCause;
    if (typeof c !== 'object' || c === null) continue;
    const { spot, voluntary, move } = c as Partial<Record<'spot' | 'voluntary' | 'move', number>>;
    const fmt = (x: number | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '—');
    parts.push(`${name} ${fmt(spot)} / ${fmt(voluntary)} / ${fmt(move)}`);
  }
  return parts.length === 0 ? undefined : `unserved vCPU·min by cause (Spot / voluntary / moves${over}): ${parts.join(' · ')}`;
};

/**
 * The end-of-run table (plain text, fixed-width columns). One seed: a row per strategy. Several: the mean
 * per strategy and, under it, the worst seed (the one with the most unserved vCPU·min). Then spotwise and
 * spotwise-naive beside the best baseline, spotwise − spotwise-naive seed by seed (paired-difference.ts) and, with
 * --sweep, the frontiers and where spotwise stands on them.
 */
export const renderTable = (result: SimulationResult): string => {
  const header = ['strategy', ...TABLE_COLUMNS.map((c) => c.title)];
  const several = result.seeds.length > 1;
  const rows: string[][] = [];
  for (const [name, s] of Object.entries(result.summary)) {
    rows.push([several ? `${name} (mean)` : name, ...TABLE_COLUMNS.map((c) => c.value(s.mean))]);
    if (several) rows.push([`  worst: seed ${String(s.worst.seed)}`, ...TABLE_COLUMNS.map((c) => c.value(s.worst))]);
  }
  const out = layout(header, rows);
  const over = several ? `, means over ${result.seeds.length} seeds` : '';
  const causes = renderUnservedByCause(result, over);
  if (causes !== undefined) out.push('', causes);
  if (result.comparisons.length > 0) {
    out.push('');
    for (const c of result.comparisons) out.push(renderBaselineComparison(c, over));
  }
  if (result.ablation !== undefined) out.push('', renderAblationComparison(result.ablation));
  if (result.frontier !== undefined) {
    out.push('');
    out.push(...renderFrontierTable(result.frontier));
    for (const [name, c] of Object.entries(result.frontierComparisons ?? {})) {
      out.push('');
      out.push(...renderFrontierComparison(name, c, result.frontier));
    }
  }
  return out.join('\n');
};

export interface RunSources {
  readonly interruptionsFile?: string;
  readonly configFile?: string;
}

/** What the run was: seeds, fleet (and how it was derived), data, interruptions, requests, knobs, model. */
export const renderRunDescription = (result: SimulationResult, sources: RunSources = {}): string => {
  const s = result.setup;
  const primaries = s.sample.fleet.groups.filter((g) => g.role === 'primary');
  const standbys = s.sample.fleet.groups.filter((g) => g.role === 'standby');
  const seedText = result.seeds.length === 1 ? `seed ${result.seeds[0]}` : `seeds ${result.seeds.join(', ')}`;
  const lines = [
    `${seedText}, ${result.hours} simulated hours, ${result.instances} Spot instances in ${primaries.map((g) => `${g.id} (${g.instances.length})`).join(', ')}` +
      (standbys.length > 0 ? `; standby On-Demand ${standbys.map((g) => `${g.id} with a warm pool of ${g.instances.length}`).join(', ')}` : '') +
      (sources.configFile !== undefined ? ` — from ${sources.configFile}` : ''),
  ];
  if (s.sample.derivation.length > 0) {
    lines.push(`fleet derived where ${sources.configFile ?? 'the configuration'} says nothing:`);
    for (const d of s.sample.derivation) lines.push(`  ${d}`);
  }
  lines.push(`demand: ${s.seriesUsed} real usage series from ${s.dataDir}; post-restart demand: ${s.postRestart.source}`);
  lines.push(
    {
      'agent-cpu':
        "metrics of spotwise's instances: CPU from the CloudWatch agent each minute (3 agent metrics per running instance, billed to spotwise and spotwise-naive), network and disk from EC2's basic monitoring, one point per 5 minutes (not billed) (--monitoring agent-cpu)",
      detailed:
        "metrics of spotwise's instances: EC2 detailed monitoring, 1-minute points (billed to spotwise and spotwise-naive, 7 metrics per running instance; --monitoring detailed)",
      basic: "metrics of spotwise's instances: EC2 basic monitoring, CPU, network and disk one point per 5 minutes (not billed; --monitoring basic)",
    }[monitoringOf(s.world)],
  );
  const bursts = result.seedSetups.map((x) => x.bursts);
  const requests = result.seedSetups.map((x) => x.requests);
  const perSeed = (xs: readonly number[], noun: string): string => {
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    // "1 row", "2 rows", "3 priority requests": the plural is the noun with an s, the singular without.
    return lo === hi ? `${lo} ${lo === 1 ? noun.replace(/s$/, '') : noun}` : `${lo}–${hi} ${noun} per seed`;
  };
  if (s.replayedPools !== undefined) {
    const mapping = Object.entries(s.replayedPools)
      .map(([label, pool]) => `${label} → ${pool}`)
      .join(', ');
    lines.push(
      `interruptions: ${perSeed(bursts, 'rows')} replayed from ${sources.interruptionsFile ?? 'a file'} (each a warning at its time, the reclaim 120 s later; the rebalance recommendation with the warning), pools: ${mapping || 'none'}; ${perSeed(requests, 'priority requests')}`,
    );
  } else {
    lines.push(
      `interruptions: ${perSeed(bursts, 'pool bursts')} drawn from Spot Advisor buckets ×${s.interruption.rateScale} (time compression), ` +
        `${Math.round(s.interruption.rebalanceShare * 100)} % with an early rebalance recommendation; ${perSeed(requests, 'priority requests')}`,
    );
  }
  if (s.interruption.lostRecommendationShare > 0)
    lines.push(
      `rebalance recommendations: ${Math.round(s.interruption.lostRecommendationShare * 100)} % never delivered to the strategies (--lost-recommendations; Capacity Rebalancing still acts on them)`,
    );
  const knobs = Object.entries(result.summary)
    .filter(([n]) => isKnobStrategy(n))
    .map(([n, sum]) => `${n} ${String(sum.mean.knob ?? '?')} (${KNOB_STRATEGIES[n as keyof typeof KNOB_STRATEGIES].knob})`);
  if (knobs.length > 0)
    lines.push(
      `knobs${result.seeds.length > 1 ? ' (mean over seeds)' : ''}: ${knobs.join('; ')}${result.frontier !== undefined ? '; --sweep adds every value of each grid' : ''}`,
    );
  return lines.join('\n');
};
