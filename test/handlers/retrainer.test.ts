import { describe, expect, it } from 'vitest';
import { readModelArtifact } from '../../lambda/adapters/model-loader';
import { MetricName } from '../../lambda/contracts/metrics';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, type LearnedCycle } from '../../lambda/core/domain';
import { makeHandler, type RetrainerDeps } from '../../lambda/handlers/retrainer';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryModelStore } from '../../lambda/sim/memory/in-memory-model-store';
import { InMemoryStateStore } from '../../lambda/sim/memory/in-memory-state-store';
import { RecordingTelemetry } from '../../lambda/sim/memory/recording-telemetry';
import { rowlessCycles } from '../fixtures/learned-cycles';

/** The EventBridge scheduled-rule event, in the shape the EventBridge User Guide documents ("Scheduled Event"). */
const scheduled = {
  version: '0',
  id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-30T03:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/spotwise-retraining'],
  detail: {},
};

const config = (retraining: Record<string, unknown> = {}) =>
  parseSpotwiseConfig({
    groups: [{ name: 'web', policy: 'web', capacity: { vcpu: 64, memory_gib: 256, network_mbps: 10_000, disk_iops: 50_000 } }],
    policies: [{ policy_name: 'web', priority: 'medium' }],
    retraining,
  }).retraining;

const deps = async (over: Partial<RetrainerDeps> = {}, stored: LearnedCycle[] = []) => {
  const state = new InMemoryStateStore();
  await state.putCycles(stored);
  const telemetry = new RecordingTelemetry();
  const models = new InMemoryModelStore();
  const d: RetrainerDeps = {
    telemetry,
    cycles: state,
    models,
    bundled: () => readModelArtifact(BUNDLED_MODEL_DIR),
    now: () => Date.parse(scheduled.time),
    groups: [groupId('web')],
    retraining: config(),
    ...over,
  };
  return { d, telemetry, models };
};

describe('retrainer handler', () => {
  it('runs on the scheduled event, records the run and counts it by outcome (too few cycles: skipped, saying how many)', async () => {
    const { d, telemetry, models } = await deps({}, rowlessCycles(12));
    const result = await makeHandler(d)(scheduled);
    expect(result).toMatchObject({
      status: 'retrained',
      outcome: 'skipped',
      reason: expect.stringContaining('12 stored restart cycle(s) across 1 group(s); retraining needs 40'),
    });
    expect(telemetry.total(MetricName.retrainingRuns, { Outcome: 'skipped' })).toBe(1);
    expect((await models.listRetrainingRecords(1))[0]).toMatchObject({ outcome: 'skipped', at: Date.parse(scheduled.time) });
  });

  it('names the field and value of an event that is not a scheduled one, and runs nothing', async () => {
    const { d, telemetry, models } = await deps();
    const result = await makeHandler(d)({ ...scheduled, 'detail-type': 'Profile Tick', time: 'yesterday' });
    expect(result.status).toBe('malformed');
    expect(result.status === 'malformed' && result.errors).toMatch(/detail-type: .*\(got "Profile Tick"\).*time: .*\(got "yesterday"\)/);
    expect(telemetry.total(MetricName.malformedEvents)).toBe(1);
    expect(await models.listRetrainingRecords(1)).toEqual([]);
  });

  it('does nothing when retraining is disabled', async () => {
    const { d, models } = await deps({ retraining: config({ enabled: false }) });
    expect(await makeHandler(d)(scheduled)).toEqual({ status: 'ignored', reason: 'retraining.enabled is false' });
    expect(await models.listRetrainingRecords(1)).toEqual([]);
  });

  it('passes the configured settings on: min_cycles decides when a run trains', async () => {
    const { d } = await deps({ retraining: config({ min_cycles: 10 }) }, rowlessCycles(12));
    // Twelve cycles without rows reach training but give it nothing to learn from: the run says so.
    expect(await makeHandler(d)(scheduled)).toMatchObject({ status: 'retrained', outcome: 'skipped', reason: 'no usable rows (0 to fit, 0 held back)' });
  });
});
