import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DIMENSIONS } from '../lambda/core/domain';
import { DEFAULT_MODEL_NAME } from '../lambda/adapters/model-loader';
import { DEFAULT_CASE_OPTIONS } from './src/build-cases';
import { MODELS_DIR, parseIntegerOption, parseList, resolveDataDir, SHARED_DATA_DIR } from './src/cli-options';
import {
  atModelRateReading,
  formatReportTable,
  realStartGoal,
  REPORT_DIMENSION_ORDER,
  REPORT_DIMENSIONS,
  reportJson,
  type DimensionReport,
} from './src/evaluate-cases';
import { evaluateFolder } from './src/evaluate-folder';
import { recordEvaluation } from './src/record-evaluation';

/** The real-start goal's verdict on one table, and under it the same comparison at the model's own rate. */
const printRealStartGoal = (table: DimensionReport): void => {
  for (const v of realStartGoal(table)) console.log(`  ${v.met ? 'met    ' : 'NOT met'}  ${v.detail}`);
  console.log("  the same comparison at the model's own rate (a reading beside the verdict, which it does not change):");
  for (const line of atModelRateReading(table)) console.log(`    ${line}`);
};

/** `npm run evaluate -- --data DIR [--json FILE]`: the model against the fallback and three baselines. */
const program = new Command()
  .name('evaluate')
  .description(
    'Evaluate the post-restart demand model on trace folders (layout of ../shared/data) against the fallback, last value, VPA and Autopilot baselines',
  )
  .option('--data <dir>', 'data folder (default: ../shared/data when present)')
  .option('--datasets <names>', 'comma-separated dataset folders to use (default: all with series)', parseList)
  .option('--model <dir>', 'model artifact folder', join(MODELS_DIR, DEFAULT_MODEL_NAME))
  .option(
    '--json <file>',
    'also write {"dimensions": {...}, "byKind": {"real-start", "simulated-interruption", "realStart", "simulatedInterruption"}} to this file',
  )
  .option('--window <minutes>', 'post-restart window W (default: the model’s, 30)', parseIntegerOption('--window'))
  .option('--seed <n>', 'seed for case sampling (default: the one training used for its test cases)', parseIntegerOption('--seed'), DEFAULT_CASE_OPTIONS.seed)
  .option('--max-series <n>', 'read at most this many series (quick runs)', parseIntegerOption('--max-series'))
  .option('--include-training-series', 'also score series the model was trained or calibrated on', false)
  .option(
    '--real-start-conformal',
    'also score the model with its p90 recalibrated for real starts (split-conformal, 90 % coverage) on the real starts of its validation series',
    false,
  )
  .option('--calibration-data <dir>', 'folder the model was trained on, for --real-start-conformal', SHARED_DATA_DIR)
  .option(
    '--record <why>',
    "re-record the model's test-split figures in its metadata.json from this run (only on the folder it was trained on, every test series, the default window and seed); <why> goes into the note",
  );

program.parse();
const opts = program.opts<{
  data?: string;
  datasets?: string[];
  model: string;
  json?: string;
  window?: number;
  seed: number;
  maxSeries?: number;
  includeTrainingSeries: boolean;
  realStartConformal: boolean;
  calibrationData: string;
  record?: string;
}>();
/** The quantile's promise: p90 should cover 90 % of restarts. */
const REAL_START_COVERAGE = 0.9;

try {
  const dataDir = resolveDataDir(opts.data);
  const result = await evaluateFolder({
    dataDir,
    modelDir: resolve(opts.model),
    ...(opts.datasets ? { datasets: opts.datasets } : {}),
    ...(opts.window !== undefined ? { windowMinutes: opts.window } : {}),
    seed: opts.seed,
    includeTrainingSeries: opts.includeTrainingSeries,
    ...(opts.maxSeries !== undefined ? { maxSeries: opts.maxSeries } : {}),
    ...(opts.realStartConformal ? { realStartConformal: { calibrationDataDir: resolve(opts.calibrationData), coverage: REAL_START_COVERAGE } } : {}),
  });
  const conformal = result.realStartConformal;
  const { metadata } = result.model;
  console.log(`model ${metadata.name} ${metadata.version} on ${dataDir}`);
  console.log(
    `series: ${result.seriesUsed} evaluated, ${result.seriesExcluded} left out (used in training or calibration${opts.includeTrainingSeries ? '' : '; --include-training-series to score them'}), ${result.skippedSeries.length} unusable`,
  );
  console.log(`cases: ${result.cases['real-start']} real starts, ${result.cases['simulated-interruption']} simulated interruptions`);
  console.log('');
  // Real starts are what users pay for (a replacement boots cold): they lead; the rest is secondary.
  if (result.cases['real-start'] === 0) {
    console.log(
      'real-start cases: none in this folder (they come from VMs that start mid-trace, e.g. Bitbrains late starts); the real-start goal cannot be measured here.',
    );
  } else {
    console.log(
      formatReportTable(result.report.byKind['real-start'], 'real-start cases (headline: instances that really started, on series the model never saw)'),
    );
    console.log('');
    console.log('real-start goal (p90 under-provision ≤ 10 % for CPU and memory; weightedSlack below VPA and Autopilot at their under-provision rates):');
    printRealStartGoal(result.report.byKind['real-start']);
    if (conformal) {
      const factors = REPORT_DIMENSION_ORDER.map(
        (rd) => `${rd} × ${conformal.factors[rd].factor?.toFixed(2) ?? '— (too few cases)'} (${conformal.factors[rd].calibrationCases} cases)`,
      ).join(', ');
      console.log('');
      console.log(
        formatReportTable(
          conformal.report,
          `real-start cases, model p90 recalibrated for real starts (split-conformal ${conformal.coverage * 100} %, fitted on ${conformal.calibrationSeries} validation series: ${factors})`,
        ),
      );
      console.log('');
      console.log('real-start goal with the recalibrated p90:');
      printRealStartGoal(conformal.report);
      const deployed = conformal.deployed;
      const how = [
        ...Object.entries(deployed.factors).map(([rd, f]) => `${rd} p90 × ${f.toFixed(2)}`),
        ...Object.entries(deployed.capacityShares).map(([rd, f]) => `${rd} p90 ≥ ${f.toFixed(2)} × the VM's capacity`),
      ].join(', ');
      console.log('');
      console.log(
        formatReportTable(
          deployed.report,
          `real-start cases, model recalibrated as deployed (the profiler's online recalibration, the ${deployed.calibrationCases} validation real starts as the fleet's earlier restarts: ${how || 'no factor'})`,
        ),
      );
      console.log('');
      console.log('real-start goal with the deployed recalibration:');
      printRealStartGoal(deployed.report);
    }
  }
  console.log('');
  console.log(formatReportTable(result.report.byKind['simulated-interruption'], 'simulated-interruption cases (secondary)'));
  console.log('');
  console.log(formatReportTable(result.report.dimensions, 'all cases'));
  console.log('');
  console.log(`production gating: ${DIMENSIONS.map((d) => `${REPORT_DIMENSIONS[d]} → ${metadata.gating[d].use}`).join(', ')}`);
  console.log(
    'under-prov = share of cases whose actual peak exceeds p90; w.slack = Σ(p90 − actual) ÷ Σ actual over the others (capacity-weighted); ' +
      'w.slack@vpa / @autopilot = w.slack with p90 × the smallest factor that brings the under-provision rate down to that baseline’s (@model: to the model’s) (the factor is fitted on these cases: a comparison, not a setting); ' +
      'wQL = GIFT-Eval weighted quantile loss of p50 and p90; mean slack = mean (p90 − actual) / actual over covered cases (actual > 0); pinball in the dimension’s units (vCPU, GiB, Mbps, IOPS).',
  );
  if (opts.record !== undefined) {
    // Only a run that scores exactly the model's test split may stand for its recorded figures.
    const refuse = (why: string) => {
      throw new Error(`--record: ${why}`);
    };
    if (opts.includeTrainingSeries || opts.datasets || opts.maxSeries !== undefined)
      refuse('score every test series (no --include-training-series, --datasets or --max-series)');
    if (opts.seed !== DEFAULT_CASE_OPTIONS.seed || (opts.window !== undefined && opts.window !== metadata.windowMinutes.default))
      refuse('use the default --seed and --window');
    if (!result.isTestSplit)
      refuse(
        `${dataDir} is not the folder the model was trained on: its series do not split into the model's ${metadata.trainingSeries.length} training series and the test series scored here`,
      );
    if (opts.record.trim() === '') refuse('say why the figures are re-recorded');
    const file = join(resolve(opts.model), 'metadata.json');
    writeFileSync(file, `${JSON.stringify(recordEvaluation(metadata, result.report, new Date(), opts.record.trim()), null, 2)}\n`);
    console.log(`recorded the test-split figures in ${file}`);
  }
  if (opts.json) {
    const json = conformal
      ? {
          ...reportJson(result.report),
          realStartConformal: {
            coverage: conformal.coverage,
            calibrationSeries: conformal.calibrationSeries,
            factors: conformal.factors,
            report: conformal.report,
            deployed: conformal.deployed,
          },
        }
      : reportJson(result.report);
    writeFileSync(resolve(opts.json), `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${resolve(opts.json)}`);
  }
} catch (error) {
  console.error(`evaluate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
