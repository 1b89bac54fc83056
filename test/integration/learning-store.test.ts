import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbCycleStore, DynamoDbModelStore } from '../../lambda/adapters/dynamodb-learning-store';
import { readModelArtifact } from '../../lambda/adapters/model-loader';
import { DEFAULT_RETRAIN_SETTINGS, retrainModel } from '../../lambda/app/retrain-model';
import { groupId, instanceId, type LearnedCycle } from '../../lambda/core/domain';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';
import { runCli } from './operator-world';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

const cycle = (restartedAt: number, id: string, group = 'web'): LearnedCycle => ({
  groupId: groupId(group),
  instanceId: instanceId(id),
  jobType: 'web',
  instanceType: 'm5.xlarge',
  interruptedAt: restartedAt - 120_000,
  restartedAt,
  windowMinutes: 30,
  rows: { vcpu: { values: [1, 0, 0, 0, 0.25], scale: 1.5, peak: 2.25 } },
});

describeWithMoto('the retraining stores against moto (real HTTP)', (moto) => {
  const table = 'spotwise-learning-int';
  let cycles: DynamoDbCycleStore;
  let models: DynamoDbModelStore;

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    const doc = createDynamoDbDocumentClient(moto().clientOptions);
    cycles = new DynamoDbCycleStore(doc, { tableName: table, clock: { now: () => NOW } });
    models = new DynamoDbModelStore(doc, { tableName: table, clock: { now: () => NOW } });
  });

  it("lists a group's cycles newest first across pages (the zero-padded sort key orders restart times as numbers)", async () => {
    // 9_999 and 10_000 ms: as plain strings "10000" would sort before "9999".
    const times = [9_999, 10_000, NOW - 3_600_000, NOW, ...Array.from({ length: 30 }, (_, i) => NOW - (i + 2) * 3_600_000)];
    await cycles.putCycles(times.map((t, i) => cycle(t, `i-${String(i).padStart(17, '0')}`)));
    await cycles.putCycles([cycle(NOW, 'i-0other0000000000', 'other')]);
    const newest = await cycles.listCycles(groupId('web'), 5);
    expect(newest.map((c) => c.restartedAt)).toEqual([NOW, NOW - 3_600_000, NOW - 2 * 3_600_000, NOW - 3 * 3_600_000, NOW - 4 * 3_600_000]);
    const all = await cycles.listCycles(groupId('web'), 1_000);
    expect(all).toHaveLength(times.length);
    expect(all.slice(-2).map((c) => c.restartedAt)).toEqual([10_000, 9_999]);
    expect(all[0]).toEqual(cycle(NOW, 'i-00000000000000003'));
  });

  it('stores the model with its binary weights, and the version condition lets exactly one of two racing writers win', async () => {
    const artifact = readModelArtifact(BUNDLED_MODEL_DIR);
    const stored = (version: string) => ({
      version,
      modelJson: artifact.modelJson,
      weights: artifact.weights,
      metadata: { ...artifact.metadata, version },
      savedAt: NOW,
    });
    expect(await models.getModelVersion()).toBeUndefined();
    expect(await models.putModel(stored('v1'), undefined)).toBe(true);
    expect(await models.putModel(stored('v1-again'), undefined)).toBe(false);
    const outcomes = await Promise.all([models.putModel(stored('v2-a'), 'v1'), models.putModel(stored('v2-b'), 'v1')]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const back = await models.getModel();
    expect(back?.version).toBe(outcomes[0] ? 'v2-a' : 'v2-b');
    expect(Buffer.from(back!.weights).equals(Buffer.from(artifact.weights))).toBe(true);
    expect(back?.modelJson).toEqual(artifact.modelJson);
  });

  it('a retraining run over the real table reads the cycles, decides, and records the run', async () => {
    const { record } = await retrainModel(
      { cycles, models, bundled: () => readModelArtifact(BUNDLED_MODEL_DIR), now: () => NOW },
      { ...DEFAULT_RETRAIN_SETTINGS, groups: [groupId('web')], minCycles: 100, save: true },
    );
    expect(record).toMatchObject({ outcome: 'skipped', reason: '34 stored restart cycle(s) across 1 group(s); retraining needs 100' });
    expect((await models.listRetrainingRecords(3))[0]).toEqual(record);
  });

  it('spotwise train --from-table over real HTTP: reads the cycles, says why it trained nothing, records the run with --save; status names it', async () => {
    const aws = ['--endpoint', moto().endpoint];
    const run = await runCli(['train', '--from-table', table, '--groups', 'web', '--min-cycles', '3', '--save', ...aws]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The stored cycles carry 5 features, not the model's 19: counted and split, but no training row.
    // The racing writers of the test above left v2-a or v2-b as the table's model: the run starts from it.
    expect(run.stdout).toMatch(new RegExp(`^retraining from table ${table}: 34 cycle\\(s\\) \\(25 to fit, 9 held back\\), started from v2-[ab], `));
    expect(run.stdout).toContain('outcome: skipped — no usable rows (0 to fit, 0 held back)');
    expect(run.stdout).toMatch(/recorded the run in the table at \d{4}-.*; the current model stays/);
    const status = await runCli(['status', '--table', table, ...aws]);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[1]).toMatch(/^model: v2-[ab]; last retraining .* ago: skipped \(25 \+ 9 held-back cycles\) — no usable rows/);
    const bad = await runCli(['train', '--from-table', table, ...aws]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--groups: name the managed groups whose cycles to learn from');
  }, 60_000);
});
