import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { parseSpotwiseConfig, type SpotwiseConfig } from '../../lambda/contracts/config';
import { readConfigText } from '../../lambda/contracts/config-file';
import { ValidationError } from '../../lambda/contracts/validation';
import { BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from '../../lambda/sim/bundled-data';
import { loadPriceTable } from '../../lambda/sim/price-table';
import { renderHtml } from '../../lambda/sim/report/render-html';
import { renderRunDescription, renderTable } from '../../lambda/sim/report/render-table';
import { lineOfPath } from '../../lambda/sim/runs/yaml-line';
import { configFleetPlan } from '../../lambda/sim/sample-fleet';
import {
  MAX_WORKERS,
  parseSimulateOptions,
  SIMULATE_DEFAULTS,
  SimulateOptionError,
  type RawSimulateOptions,
  type SimulateOptions,
} from '../../lambda/sim/simulate-options';
import { runSimulation, toJsonReport } from '../../lambda/sim/simulate';
import { loadSpotAdvisor } from '../../lambda/sim/spot-advisor';
import { KNOB_STRATEGIES, STRATEGY_NAMES } from '../../lambda/sim/strategies/strategy-names';

/**
 * Reads a spotwise configuration file through the one configuration reader (what synth reads for
 * `-c policy=FILE`) and schema, and puts the line of each bad field into the message.
 */
export const readSimulationConfig = (file: string): SpotwiseConfig => {
  const text = readFileSync(file, 'utf8');
  try {
    return parseSpotwiseConfig(readConfigText(text, file));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.subject,
      error.issues.map((i) => {
        const line = lineOfPath(text, i.path);
        return line === undefined ? i : { ...i, path: `${i.path} (line ${line})` };
      }),
    );
  }
};

/** The fleet the simulator would build from a configuration, checked before any run starts. */
const checkConfigFleet = (config: SpotwiseConfig): void => {
  configFleetPlan(config, loadPriceTable(BUNDLED_PRICE_FILE, loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS)));
};

const progressBar = (opts: SimulateOptions): cliProgress.SingleBar | undefined =>
  opts.progress && process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          format: 'simulating |{bar}| {percentage}% {runs} runs, {eta_formatted} left ',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;

/**
 * `spotwise simulate` (the default `npm start`): runs the strategies on each seed in the simulated cloud
 * (over worker threads), prints the description and the table, writes out/simulation/report.html and,
 * with --json, the JSON document.
 */
export const simulateCommand = async (raw: RawSimulateOptions): Promise<number> => {
  let opts: SimulateOptions;
  try {
    opts = parseSimulateOptions(raw, { readConfig: readSimulationConfig, checkConfigFleet });
  } catch (error) {
    if (error instanceof SimulateOptionError) {
      console.error(`spotwise simulate: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const bar = progressBar(opts);
  let started = false;
  const wallStart = performance.now();
  const result = await runSimulation({
    seeds: opts.seeds,
    singleSeed: opts.singleSeed,
    hours: opts.hours,
    instances: opts.instances,
    strategies: opts.strategies,
    sweep: opts.sweep,
    workers: opts.workers,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    interruption: { rateScale: opts.interruptionScale, rebalanceShare: opts.rebalanceShare, lostRecommendationShare: opts.lostRecommendations },
    postRestartPeaks: opts.postRestartPeaks,
    otherSignals: opts.otherSignals,
    priorities: opts.priorities,
    ...(opts.poolBudget !== 1 ? { poolBudget: opts.poolBudget } : {}),
    monitoring: opts.monitoring,
    ...(opts.replayedInterruptions !== undefined ? { replayedInterruptions: opts.replayedInterruptions } : {}),
    ...(opts.fleetConfig !== undefined ? { fleetConfig: opts.fleetConfig } : {}),
    onProgress: (done, total) => {
      if (bar === undefined) return;
      if (!started) {
        bar.start(total * 100, 0, { runs: total });
        started = true;
      }
      bar.update(Math.round(done * 100), { runs: total });
    },
  });
  bar?.stop();
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const sources = {
    ...(opts.interruptionsFile !== undefined ? { interruptionsFile: opts.interruptionsFile } : {}),
    ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
  };
  console.log(renderRunDescription(result, sources));
  console.log('');
  console.log(renderTable(result));
  mkdirSync(opts.outDir, { recursive: true });
  const htmlFile = join(opts.outDir, 'report.html');
  writeFileSync(htmlFile, renderHtml(result, undefined, sources));
  console.log('');
  console.log(
    `report: ${htmlFile}  (simulated in ${wallSeconds.toFixed(1)} s: ${result.jobs} runs on ${Math.min(opts.workers, result.jobs)} worker threads, ${(result.runMs / 1000).toFixed(1)} s of runs)`,
  );
  if (opts.jsonFile !== undefined) {
    mkdirSync(dirname(opts.jsonFile), { recursive: true });
    writeFileSync(opts.jsonFile, `${JSON.stringify(toJsonReport(result), null, 2)}\n`);
    console.log(`json: ${opts.jsonFile}`);
  }
  return 0;
};

const knobList = Object.entries(KNOB_STRATEGIES)
  .map(([n, k]) => `${n}: ${k.knob}`)
  .join('; ');

export const registerSimulate = (program: Command): void => {
  program
    .command('simulate')
    .description('Compare spot-interruption strategies in a simulated cloud on real utilization traces')
    .option('--seed <n>', `random seed (same seed, same run) (default: ${SIMULATE_DEFAULTS.seed})`)
    .option('--seeds <list>', 'several seeds, a range 1..10 or a list 1,4,7: the table shows the mean and the worst seed per strategy')
    .option('--sweep', `also run each knob strategy over a grid of its knob and report the cost–availability frontiers (${knobList})`)
    .option(
      '--monitoring <mode>',
      "how spotwise's instances report metrics: agent-cpu (EC2 basic monitoring, CPU from the CloudWatch agent each minute: 3 agent metrics per instance), detailed (EC2 detailed monitoring: 7 metrics per instance billed, the agent without CPU), basic (5-minute CPU) (default: agent-cpu)",
    )
    .option('--hours <h>', `simulated hours (default: ${SIMULATE_DEFAULTS.hours})`)
    .option('--instances <n>', `Spot instances over the two primary groups (default: ${SIMULATE_DEFAULTS.instances})`)
    .option('--config <file>', "simulate your own spotwise.yaml: its groups, policies and standby groups (the fleet's size derives from the capacities)")
    .option(
      '--interruptions <file>',
      'replay an interruption sequence, CSV time,pool,fraction (seconds from the start, any pool label, share of the pool reclaimed), instead of drawn bursts',
    )
    .option('--data <dir>', 'usage traces: a folder in the layout of ../shared/data (default: the bundled data/)')
    .option('--strategy <list>', `"all" or a comma-separated list of ${STRATEGY_NAMES.join(', ')} (default: all)`)
    .option('--out <dir>', `where report.html goes (default: ${SIMULATE_DEFAULTS.outDir})`)
    .option('--json <file>', 'also write the results as JSON')
    .option('--interruption-scale <x>', `multiplies the Spot Advisor reclaim rates (default: ${SIMULATE_DEFAULTS.interruptionScale})`)
    .option(
      '--post-restart-cpu <x>',
      "peak CPU multiplier of the simulated workloads right after a (re)start (default: the model's, 1.8 unless learned from --data); spotwise is never told",
    )
    .option('--post-restart-memory <x>', "peak memory multiplier right after a (re)start (default: the model's, 1.4 unless learned)")
    .option(
      '--capacity-reservation-reclaims <n>',
      'interruptible Capacity Reservation reclaims per run, each a two-minute warning then termination (default: 0)',
    )
    .option(
      '--scheduled-maintenance <n>',
      'AWS Health scheduled changes per run, announced 2-12 h ahead; EC2 stops what is still there at the start (default: 0)',
    )
    .option(
      '--pool-budget <x>',
      "each primary pool's budget as a share (0..1] of the capacity its fleet was sized from: below 1 the pool is oversubscribed (default: 1)",
    )
    .option(
      '--best-effort-share <x>',
      "share (0..1) of the workloads tagged best-effort (spotwise:priority 10, moving with the workload), the rest at their group's priority (default: 0)",
    )
    .option(
      '--targeted-requests <x>',
      "share (0..1) of priority requests that name one instance, the group's highest-priority serving member when sent (default: 0)",
    )
    .option(
      '--rebalance-share <x>',
      `share (0..1) of bursts whose rebalance recommendation comes before the warning (default: ${SIMULATE_DEFAULTS.rebalanceShare})`,
    )
    .option(
      '--lost-recommendations <x>',
      `share (0..1) of rebalance recommendations EventBridge does not deliver to the strategies — AWS sends them on a best-effort basis and publishes no rate; Auto Scaling's Capacity Rebalancing still acts on them (default: ${SIMULATE_DEFAULTS.lostRecommendations})`,
    )
    .option('--workers <n>', `worker threads the runs are spread over, 1..${MAX_WORKERS} (default: the machine's cores); results do not depend on it`)
    .option('--no-progress', 'no progress bar')
    .action(async (raw: RawSimulateOptions) => {
      process.exitCode = await simulateCommand(raw);
    });
};
