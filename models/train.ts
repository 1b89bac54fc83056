import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { writeArtifact } from './src/artifact-files';
import { MODELS_DIR, parseIntegerOption, parseList, resolveDataDir } from './src/cli-options';
import { formatReportTable } from './src/evaluate-cases';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from './src/train-model';

/** `npm run train -- --data DIR`: trains the post-restart demand model and writes models/<name>/. */
const MAX_ARTIFACT_BYTES = 500 * 1024;

const program = new Command()
  .name('train')
  .description('Train the post-restart demand model on trace folders (layout of ../shared/data) and write models/<name>/')
  .option('--data <dir>', 'data folder (default: ../shared/data when present)')
  .option('--datasets <names>', 'comma-separated dataset folders to use (default: all with series)', parseList)
  .option('--name <name>', 'model name (artifact folder under models/)', DEFAULT_TRAIN_OPTIONS.name)
  .option('--out <dir>', 'output folder (default: models/<name>)')
  .option('--seed <n>', 'seed for split, cases, shuffling and initialisation', parseIntegerOption('--seed'), DEFAULT_TRAIN_OPTIONS.seed)
  .option('--epochs <n>', 'maximum epochs (early stopping usually ends sooner)', parseIntegerOption('--epochs'), DEFAULT_TRAIN_OPTIONS.maxEpochs)
  .addOption(new Option('--backend <name>', 'tfjs backend to train on').choices(['wasm', 'cpu']).default(DEFAULT_TRAIN_OPTIONS.backend));

program.parse();
const opts = program.opts<{ data?: string; datasets?: string[]; name: string; out?: string; seed: number; epochs: number; backend: 'wasm' | 'cpu' }>();

try {
  const dataDir = resolveDataDir(opts.data);
  const outDir = opts.out ? resolve(opts.out) : join(MODELS_DIR, opts.name);
  console.log(`training ${opts.name} on ${dataDir}`);
  const result = await trainModel({
    ...DEFAULT_TRAIN_OPTIONS,
    dataDir,
    ...(opts.datasets ? { datasets: opts.datasets } : {}),
    name: opts.name,
    seed: opts.seed,
    maxEpochs: opts.epochs,
    backend: opts.backend,
    log: (line) => console.log(`  ${line}`),
  });
  const bytes = writeArtifact(outDir, result.artifact, result.metadata);
  console.log('');
  console.log(
    formatReportTable(
      result.metadata.evaluation.dimensions as Parameters<typeof formatReportTable>[0],
      'test series (not used for training or calibration), all cases:',
    ),
  );
  console.log('');
  for (const note of result.metadata.notes) console.log(`- ${note}`);
  console.log('');
  console.log(
    `wrote ${outDir} (model.json, weights.bin, metadata.json: ${(bytes / 1024).toFixed(1)} KiB), version ${result.metadata.version}, ${result.metadata.training.seconds} s on ${result.metadata.training.backend}`,
  );
  if (bytes > MAX_ARTIFACT_BYTES) {
    console.error(`artifact is ${bytes} bytes, above the ${MAX_ARTIFACT_BYTES}-byte budget`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`train: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
