import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { renderHtml } from '../../lambda/sim/report/render-html';
import { renderRunDescription, renderTable } from '../../lambda/sim/report/render-table';
import { parseSimulateOptions, SIMULATE_DEFAULTS, SimulateOptionError, type RawSimulateOptions } from '../../lambda/sim/simulate-options';
import { runSimulation, toJsonReport } from '../../lambda/sim/simulate';
import { STRATEGY_NAMES } from '../../lambda/sim/strategies/create-strategy';

/**
 * `spotwise simulate` (the default `npm start`): runs the strategies on the same seed in the simulated
 * cloud, prints a table, writes out/simulation/report.html and, with --json, the JSON summary.
 */
export const simulateCommand = async (raw: RawSimulateOptions): Promise<number> => {
  let opts;
  try {
    opts = parseSimulateOptions(raw);
  } catch (error) {
    if (error instanceof SimulateOptionError) {
      console.error(`spotwise simulate: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const bar = opts.progress && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'simulating {strategy} |{bar}| {percentage}% ', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined;
  const total = opts.strategies.length * 100;
  bar?.start(total, 0, { strategy: opts.strategies[0] ?? '' });
  const result = await runSimulation({
    seed: opts.seed, hours: opts.hours, instances: opts.instances, strategies: opts.strategies,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    interruption: { rateScale: opts.interruptionScale, rebalanceShare: opts.rebalanceShare },
    wallClock: () => performance.now(),
    onProgress: (strategy, fraction) => bar?.update(opts.strategies.indexOf(strategy as never) * 100 + Math.round(fraction * 100), { strategy }),
  });
  bar?.stop();
  console.log(renderRunDescription(result));
  console.log('');
  console.log(renderTable(result));
  mkdirSync(opts.outDir, { recursive: true });
  const htmlFile = join(opts.outDir, 'report.html');
  writeFileSync(htmlFile, renderHtml(result));
  const seconds = Object.values(result.elapsedMs).reduce((a, b) => a + b, 0) / 1000;
  console.log('');
  console.log(`report: ${htmlFile}  (simulated in ${seconds.toFixed(1)} s)`);
  if (opts.jsonFile !== undefined) {
    mkdirSync(dirname(opts.jsonFile), { recursive: true });
    writeFileSync(opts.jsonFile, `${JSON.stringify(toJsonReport(result), null, 2)}\n`);
    console.log(`json: ${opts.jsonFile}`);
  }
  return 0;
};

export const registerSimulate = (program: Command): void => {
  program
    .command('simulate')
    .description('Compare spot-interruption strategies in a simulated cloud on real utilization traces')
    .option('--seed <n>', `random seed (same seed, same run) (default: ${SIMULATE_DEFAULTS.seed})`)
    .option('--hours <h>', `simulated hours (default: ${SIMULATE_DEFAULTS.hours})`)
    .option('--instances <n>', `Spot instances over the two primary groups (default: ${SIMULATE_DEFAULTS.instances})`)
    .option('--data <dir>', 'usage traces: a folder in the layout of ../shared/data (default: the bundled data/)')
    .option('--strategy <list>', `"all" or a comma-separated list of ${STRATEGY_NAMES.join(', ')} (default: all)`)
    .option('--out <dir>', `where report.html goes (default: ${SIMULATE_DEFAULTS.outDir})`)
    .option('--json <file>', 'also write the summary as JSON')
    .option('--interruption-scale <x>', `multiplies the Spot Advisor reclaim rates (default: ${SIMULATE_DEFAULTS.interruptionScale})`)
    .option('--rebalance-share <x>', `share (0..1) of bursts whose rebalance recommendation comes before the warning (default: ${SIMULATE_DEFAULTS.rebalanceShare})`)
    .option('--no-progress', 'no progress bar')
    .action(async (raw: RawSimulateOptions) => {
      process.exitCode = await simulateCommand(raw);
    });
};
