import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DIMENSIONS } from '../lambda/core/domain';
import { DEFAULT_MODEL_NAME } from '../lambda/adapters/model-loader';
import { DEFAULT_CASE_OPTIONS } from './src/build-cases';
import { MODELS_DIR, parseIntegerOption, parseList, resolveDataDir } from './src/cli-options';
import { formatReportTable, REPORT_DIMENSIONS } from './src/evaluate-cases';
import { evaluateFolder } from './src/evaluate-folder';

/** `npm run evaluate -- --data DIR [--json FILE]`: the model against the fallback and three baselines. */
const program = new Command()
  .name('evaluate')
  .description('Evaluate the post-restart demand model on trace folders (layout of ../shared/data) against the fallback, last value, VPA and Autopilot baselines')
  .option('--data <dir>', 'data folder (default: ../shared/data when present)')
  .option('--datasets <names>', 'comma-separated dataset folders to use (default: all with series)', parseList)
  .option('--model <dir>', 'model artifact folder', join(MODELS_DIR, DEFAULT_MODEL_NAME))
  .option('--json <file>', 'also write {"dimensions": {...}, "byKind": {...}} to this file')
  .option('--window <minutes>', 'post-restart window W (default: the model’s, 30)', parseIntegerOption('--window'))
  .option('--seed <n>', 'seed for case sampling (default: the one training used for its test cases)', parseIntegerOption('--seed'), DEFAULT_CASE_OPTIONS.seed)
  .option('--max-series <n>', 'read at most this many series (quick runs)', parseIntegerOption('--max-series'))
  .option('--include-training-series', 'also score series the model was trained or calibrated on', false);

program.parse();
const opts = program.opts<{ data?: string; datasets?: string[]; model: string; json?: string; window?: number; seed: number; maxSeries?: number; includeTrainingSeries: boolean }>();

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
  });
  const { metadata } = result.model;
  console.log(`model ${metadata.name} ${metadata.version} on ${dataDir}`);
  console.log(
    `series: ${result.seriesUsed} evaluated, ${result.seriesExcluded} left out (used in training or calibration${opts.includeTrainingSeries ? '' : '; --include-training-series to score them'}), ${result.skippedSeries.length} unusable`,
  );
  console.log(`cases: ${result.cases['real-start']} real starts, ${result.cases['simulated-interruption']} simulated interruptions`);
  console.log('');
  console.log(formatReportTable(result.report.dimensions, 'all cases'));
  for (const [kind, table] of Object.entries(result.report.byKind)) {
    console.log('');
    console.log(formatReportTable(table, `${kind} cases`));
  }
  console.log('');
  console.log(`production gating: ${DIMENSIONS.map((d) => `${REPORT_DIMENSIONS[d]} → ${metadata.gating[d].use}`).join(', ')}`);
  console.log('under-prov = share of cases whose actual peak exceeds p90; mean slack = mean (p90 − actual) / actual over the others (actual > 0); pinball in the dimension’s units (vCPU, GiB, Mbps, IOPS).');
  if (opts.json) {
    writeFileSync(resolve(opts.json), `${JSON.stringify({ dimensions: result.report.dimensions, byKind: result.report.byKind }, null, 2)}\n`);
    console.log(`wrote ${resolve(opts.json)}`);
  }
} catch (error) {
  console.error(`evaluate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
