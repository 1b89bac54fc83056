import type { Command } from 'commander';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbCycleStore, DynamoDbModelStore } from '../../lambda/adapters/dynamodb-learning-store';
import { readModelArtifact } from '../../lambda/adapters/model-loader';
import { DEFAULT_RETRAIN_SETTINGS, retrainModel, type RetrainDeps, type RetrainResult } from '../../lambda/app/retrain-model';
import { groupId } from '../../lambda/core/domain';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { writeArtifact } from '../../models/src/artifact-files';
import { addAwsOptions, clientOptionsOf, ExitCode, iso, runOperatorCommand, tableNameOf, UsageError, type OperatorOptions } from './operator-options';

/**
 * `spotwise train --from-table`: the periodic retraining (lambda/app/retrain-model.ts, what the retrainer Lambda runs on
 * its schedule) from a real table, run by an operator: it reads the named groups' stored restart cycles, fine-tunes a
 * candidate from the table's current model (or the repository's bundled one), and prints how both forecast the
 * held-back newest cycles and which one the gate keeps. Nothing is written unless asked: `--out DIR` writes the kept
 * model's artifact (model.json, weights.bin, metadata.json: what `npm run train` writes), `--save` stores a kept
 * candidate as the table's current model (under the version condition) and records the run.
 */
export interface TrainOptions extends OperatorOptions {
  readonly fromTable?: string | true;
  readonly groups?: string;
  readonly out?: string;
  readonly save?: boolean;
  readonly minCycles?: string;
  readonly heldBack?: string;
  readonly budgetSeconds?: string;
  readonly model?: string;
  readonly json?: boolean;
}

const integerOption = (flag: string, value: string | undefined, min: number, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: expected an integer ≥ ${min} (got ${JSON.stringify(value)})`);
  return n;
};

const shareOption = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new UsageError(`${flag}: expected a share within (0, 1) like 0.25 (got ${JSON.stringify(value)})`);
  return n;
};

const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : '—');
const num = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '—');

/** The run as an operator reads it. */
export const formatTrainResult = (result: RetrainResult, table: string, saved: boolean, wrote: string | undefined): string => {
  const r = result.record;
  const lines = [
    `retraining from table ${table}: ${r.cycles.fit + r.cycles.heldBack} cycle(s) (${r.cycles.fit} to fit, ${r.cycles.heldBack} held back), started from ${r.previousVersion}, ${r.seconds} s`,
  ];
  if (r.scores !== undefined) {
    lines.push('held-back cycles:            current model → candidate');
    for (const [d, current] of Object.entries(r.scores.current)) {
      const c = current as Record<string, unknown>;
      const k = (r.scores.candidate[d] ?? {}) as Record<string, unknown>;
      lines.push(
        `  ${d.padEnd(12)} wQL ${num(c['weightedQuantileLoss'])} → ${num(k['weightedQuantileLoss'])}, under-provision ${pct(c['underProvisionRate'])} → ${pct(k['underProvisionRate'])}, weighted slack ${pct(c['weightedSlack'])} → ${pct(k['weightedSlack'])} (${String(c['cases'])} cases)`,
      );
    }
  }
  lines.push(`outcome: ${r.outcome} — ${r.reason}`);
  lines.push(`forecasting model: ${r.version}`);
  if (wrote !== undefined) lines.push(`wrote ${wrote} (model.json, weights.bin, metadata.json)`);
  lines.push(
    saved
      ? r.outcome === 'candidate'
        ? `saved as the table's current model at ${iso(r.at)}; the profiler loads it on its next tick`
        : `recorded the run in the table at ${iso(r.at)}; the current model stays`
      : 'nothing written to the table (--save not given)',
  );
  return lines.join('\n');
};

export const runTrain = async (opts: TrainOptions, deps?: Pick<RetrainDeps, 'cycles' | 'models'>): Promise<number> =>
  runOperatorCommand('train', async () => {
    if (opts.fromTable === undefined)
      throw new UsageError('--from-table: training from trace folders is `npm run train`; this command retrains from a table (give --from-table [NAME])');
    const table = tableNameOf({ ...opts, ...(typeof opts.fromTable === 'string' ? { table: opts.fromTable } : {}) });
    const groups = (opts.groups ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
    if (groups.length === 0) throw new UsageError('--groups: name the managed groups whose cycles to learn from, comma-separated (got nothing)');
    const settings = {
      ...DEFAULT_RETRAIN_SETTINGS,
      groups: groups.map(groupId),
      minCycles: integerOption('--min-cycles', opts.minCycles, 2, DEFAULT_RETRAIN_SETTINGS.minCycles),
      heldBackShare: shareOption('--held-back', opts.heldBack, DEFAULT_RETRAIN_SETTINGS.heldBackShare),
      budgetSeconds: integerOption('--budget-seconds', opts.budgetSeconds, 1, DEFAULT_RETRAIN_SETTINGS.budgetSeconds),
      save: opts.save === true,
    };
    const client = deps === undefined ? createDynamoDbDocumentClient(clientOptionsOf(opts)) : undefined;
    const stores = deps ?? {
      cycles: new DynamoDbCycleStore(client!, { tableName: table }),
      models: new DynamoDbModelStore(client!, { tableName: table }),
    };
    const modelDir = opts.model ?? BUNDLED_MODEL_DIR;
    const result = await retrainModel({ ...stores, bundled: () => readModelArtifact(modelDir), now: () => Date.now() }, settings);
    let wrote: string | undefined;
    if (opts.out !== undefined && result.chosen !== undefined) {
      writeArtifact(opts.out, result.chosen.artifact, result.chosen.metadata);
      wrote = opts.out;
    }
    if (opts.json === true) console.log(JSON.stringify({ ...result.record, saved: settings.save, ...(wrote !== undefined ? { wrote } : {}) }, null, 2));
    else console.log(formatTrainResult(result, table, settings.save, wrote));
    return ExitCode.ok;
  });

export const registerTrain = (program: Command): void => {
  const command = program
    .command('train')
    .description(
      "Retrain the post-restart demand model from a table's stored restart cycles, as the scheduled retrainer does, and say which model the gate keeps",
    )
    .option('--from-table [name]', 'the state table to learn from (default: --table or $SPOTWISE_TABLE_NAME)')
    .option('--groups <names>', 'managed groups whose cycles to learn from, comma-separated')
    .option('--out <dir>', "write the kept model's artifact here (model.json, weights.bin, metadata.json)")
    .option('--save', "store a kept candidate as the table's current model and record the run (default: write nothing)")
    .option('--min-cycles <n>', `fewest cycles to train on (default ${DEFAULT_RETRAIN_SETTINGS.minCycles})`)
    .option('--held-back <share>', `share of the newest cycles held back to judge (default ${DEFAULT_RETRAIN_SETTINGS.heldBackShare})`)
    .option('--budget-seconds <n>', `seconds the fine-tuning may take (default ${DEFAULT_RETRAIN_SETTINGS.budgetSeconds})`)
    .option('--model <dir>', 'the model to start from when the table holds none (default: the bundled models/post-restart-demand)')
    .option('--json', 'print the run record as JSON');
  addAwsOptions(command, { table: true }).action(async (opts: TrainOptions) => {
    process.exitCode = await runTrain(opts);
  });
};
