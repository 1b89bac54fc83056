import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { makeHandler } from '../../lambda/handlers/notice';
import { SAMPLE_EVENTS_DIR, fixture, readJson, sampleEventFiles } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, NOW, STANDBY, buildWorld, knownForecast } from './world';

const karpenterWarning = () => fixture('ec2-spot-instance-interruption-warning__karpenter.json');

describe('notice handler with real EventBridge fixtures and in-memory ports', () => {
  it('spot warning: reserves the post-restart demand, acts, publishes the plan and counts it', async () => {
    const w = await buildWorld();
    const handle = makeHandler(w.deps);
    const result = await handle(karpenterWarning());
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'spot-interruption-warning', dryRun: false, succeeded: true });
    if (result.status !== 'planned') return;
    expect(result.actions).toContain('reserve');
    const reservations = w.ports.stateStore.allReservations();
    expect(reservations.map((r) => r.instanceId)).toContain(FIXTURE_INSTANCES.karpenter);
    expect(w.ports.publisher.plans()).toMatchObject([{ handler: 'notice', dryRun: false, noticeKind: 'spot-interruption-warning' }]);
    expect(w.ports.publisher.domainEvents().map((e) => e.kind)).toContain('reservation-made');
    expect(w.telemetry.total(MetricName.noticesHandled, { NoticeKind: 'spot-interruption-warning' })).toBe(1);
    expect(w.telemetry.total(MetricName.reservationsMade)).toBeGreaterThanOrEqual(1);
    // The event says 14:00:00, the clock says 14:00:30: the last action came 30 s after the notice.
    expect(w.telemetry.total(MetricName.noticeToLastActionSeconds)).toBe(30);
    expect(w.telemetry.flushes).toBe(1);
  });

  it('looks the group up through the CapacityGateway (EC2 events carry no group)', async () => {
    const w = await buildWorld();
    await makeHandler(w.deps)(karpenterWarning());
    expect(w.ports.cloud.log.callsTo('findGroupOfInstance').map((c) => c.args)).toEqual([[FIXTURE_INSTANCES.karpenter]]);
  });

  it('is idempotent on the event id: a redelivery has no second effect', async () => {
    const w = await buildWorld();
    const handle = makeHandler(w.deps);
    await handle(karpenterWarning());
    const mutating = w.ports.mutatingCalls().length;
    expect(await handle(karpenterWarning())).toEqual({ status: 'duplicate', eventId: '1e5527d7-bb36-4607-3370-4164db56a40e' });
    expect(w.ports.mutatingCalls()).toHaveLength(mutating);
    expect(w.ports.publisher.plans()).toHaveLength(1);
  });

  it('dry-run: plans, logs and publishes the plan, and makes no mutating call', async () => {
    const w = await buildWorld({ dryRun: true });
    const result = await makeHandler(w.deps)(karpenterWarning());
    expect(result).toMatchObject({ status: 'planned', dryRun: true });
    expect(w.ports.mutatingCalls()).toEqual([]);
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    expect(w.ports.publisher.plans()).toMatchObject([{ dryRun: true }]);
    expect(w.ports.publisher.domainEvents()).toEqual([]);
    expect(w.telemetry.logsAt('info').map((l) => l.message)).toContain('plan made');
  });

  it("a group policy's dry_run makes that group dry-run even when the deployment is live", async () => {
    const w = await buildWorld({ config: { policies: [{ policy_name: 'web', priority: 'high', dry_run: true }] } });
    expect(await makeHandler(w.deps)(karpenterWarning())).toMatchObject({ status: 'planned', dryRun: true });
    expect(w.ports.mutatingCalls()).toEqual([]);
  });

  it('malformed: logged with the field, counted, dropped — never thrown', async () => {
    const w = await buildWorld();
    const bad = { ...karpenterWarning(), detail: { 'instance-id': 'i-nothex!', 'instance-action': 'terminate' } };
    const result = await makeHandler(w.deps)(bad);
    expect(result).toMatchObject({ status: 'malformed', errors: expect.stringContaining('detail.instance-id') });
    expect(w.telemetry.total(MetricName.malformedEvents)).toBe(1);
    expect(w.telemetry.logsAt('error')[0]).toMatchObject({
      message: 'malformed event dropped',
      fields: { detailType: 'EC2 Spot Instance Interruption Warning' },
    });
    expect(w.ports.journal.calls).toEqual([]);
  });

  it('AWS doc placeholders: the time falls back to the clock and the tolerance is logged', async () => {
    const w = await buildWorld();
    const result = await makeHandler(w.deps)(fixture('ec2-spot-instance-interruption-warning__awsdocs-ec2-ug.json'));
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'spot-interruption-warning' });
    expect(w.telemetry.logsAt('warn').map((l) => l.fields.warning)).toEqual([
      expect.stringContaining('is not an ISO-8601 timestamp'),
      expect.stringContaining('assuming terminate'),
    ]);
    expect(w.telemetry.total(MetricName.noticeToLastActionSeconds)).toBe(0);
  });

  it('terminate lifecycle to the warm pool is a return, not a termination: completes the action and reserves nothing', async () => {
    const w = await buildWorld();
    const result = await makeHandler(w.deps)(fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-2.json'));
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'lifecycle-terminate' });
    expect(w.ports.cloud.completedLifecycleActions).toMatchObject([
      { groupId: GROUP, instanceId: FIXTURE_INSTANCES.docs, token: '42694b3d-4b70-6a62-8523-09a1eEXAMPLE' },
    ]);
    expect(w.ports.stateStore.allReservations()).toEqual([]);
  });

  it('state change pending is recorded as handled without acting', async () => {
    const w = await buildWorld();
    const result = await makeHandler(w.deps)(fixture('ec2-instance-state-change-notification__aws-nth.json'));
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'state-change' });
    expect(w.ports.mutatingCalls()).toEqual([]);
  });

  it('state change to running opens the restart window in the profile', async () => {
    const w = await buildWorld();
    const raw = fixture('ec2-instance-state-change-notification__aws-nth.json');
    w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
    w.ports.clock.set(Date.parse('2015-11-11T21:30:00Z'));
    await makeHandler(w.deps)({ ...raw, detail: { 'instance-id': 'i-abcd1111', state: 'running' } });
    const profiles = await w.ports.stateStore.getProfiles([FIXTURE_INSTANCES.stateChange]);
    expect(profiles.get(FIXTURE_INSTANCES.stateChange)?.openRestart).toMatchObject({ restartedAt: Date.parse('2015-11-11T21:29:54Z') });
  });

  it.each([
    ['made before the restart is kept in the window', Date.parse('2015-11-11T21:20:00Z'), { vcpu: 1.25, memoryGiB: 3, networkMbps: 90, diskIops: 150 }],
    ['made at or after the restart is not the one from before the interruption', Date.parse('2015-11-11T21:29:54Z'), undefined],
  ])('state change to running: the forecast %s', async (_n, madeAt, expected) => {
    const w = await buildWorld();
    const id = FIXTURE_INSTANCES.stateChange;
    w.ports.stateStore.seedForecasts([knownForecast(id, { vcpu: 1.25, memoryGiB: 3, networkMbps: 90, diskIops: 150 }, madeAt)]);
    w.ports.cloud.setInstanceState(id, 'running');
    w.ports.clock.set(Date.parse('2015-11-11T21:30:00Z'));
    await makeHandler(w.deps)({ ...fixture('ec2-instance-state-change-notification__aws-nth.json'), detail: { 'instance-id': id, state: 'running' } });
    const open = (await w.ports.stateStore.getProfiles([id])).get(id)?.openRestart;
    expect(open).toBeDefined();
    expect(open?.forecastBefore).toEqual(expected);
  });

  it('an instance in no group is ignored and counted', async () => {
    const w = await buildWorld();
    const raw = karpenterWarning();
    const result = await makeHandler(w.deps)({ ...raw, detail: { 'instance-id': 'i-0fffffffffffffff0', 'instance-action': 'terminate' } });
    expect(result).toMatchObject({ status: 'ignored', reason: expect.stringContaining('in no Auto Scaling group') });
    expect(w.telemetry.total(MetricName.ignoredEvents)).toBe(1);
  });

  it('a failing AWS call is reported, compensated and counted, not thrown into a retry loop', async () => {
    const w = await buildWorld();
    w.ports.cloud.log.failNext('changeDesiredCapacity', new Error('Rate exceeded'));
    const result = await makeHandler(w.deps)(karpenterWarning());
    expect(result).toMatchObject({ status: 'planned', actions: ['reserve', 'change-desired-capacity', 'record-pool-signal'], succeeded: false });
    // The reservation this plan made was released again (compensation), and the failure is visible.
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    expect(w.telemetry.total(MetricName.actionFailures)).toBe(1);
    expect(w.ports.publisher.domainEvents().map((e) => e.kind)).toEqual(['fail-closed']);
    expect(w.telemetry.logsAt('error')).toMatchObject([{ message: 'action failed', fields: { action: 'change-desired-capacity', error: 'Rate exceeded' } }]);
  });

  it('a failing read throws (Lambda retries) before anything is marked or done', async () => {
    const w = await buildWorld();
    w.ports.cloud.log.failNext('describeGroups', new Error('throttled'));
    await expect(makeHandler(w.deps)(karpenterWarning())).rejects.toThrow('throttled');
    expect(w.ports.stateStore.log.count('markEventProcessed')).toBe(0);
    expect(w.telemetry.flushes).toBe(1);
    // The retry goes through.
    expect(await makeHandler(w.deps)(karpenterWarning())).toMatchObject({ status: 'planned' });
  });

  it.each([false, true])('no CloudWatch agent (forecast unknown): nothing reserved, and the fail-closed decision is counted (dry-run %s)', async (dryRun) => {
    const w = await buildWorld({ dryRun });
    const id = FIXTURE_INSTANCES.karpenter;
    w.ports.stateStore.seedForecasts([
      { kind: 'unknown', instanceId: id, madeAt: NOW - 60_000, reason: 'no memory metrics (is the CloudWatch agent installed?)', missing: ['memoryGiB'] },
    ]);
    const result = await makeHandler(w.deps)(karpenterWarning());
    expect(result).toMatchObject({ status: 'planned', dryRun });
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    expect(w.telemetry.total(MetricName.failClosedDecisions)).toBe(1);
    if (!dryRun) expect(w.ports.publisher.domainEvents()).toContainEqual(expect.objectContaining({ kind: 'fail-closed', instanceId: id }));
  });

  it('a plan that fails closed nowhere counts no fail-closed decision', async () => {
    const w = await buildWorld();
    await makeHandler(w.deps)(karpenterWarning());
    expect(w.telemetry.total(MetricName.failClosedDecisions)).toBe(0);
  });

  it('without a stored pool the store refuses and nothing disruptive happens (fail closed)', async () => {
    const w = await buildWorld({ seedState: false });
    const result = await makeHandler(w.deps)(karpenterWarning());
    expect(result).toMatchObject({ status: 'planned' });
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    expect(w.ports.cloud.log.calls.filter((c) => ['stopInstances', 'terminateInstances', 'terminateInstanceInGroup'].includes(c.operation))).toEqual([]);
  });
});

describe('every AWS EventBridge sample through the notice handler (../shared when beside the repository, else the bundled copies)', () => {
  const files = sampleEventFiles();
  const KEY = new Set([
    'EC2 Spot Instance Interruption Warning',
    'EC2 Instance Rebalance Recommendation',
    'EC2 Instance State-change Notification',
    'EC2 Instance-launch Lifecycle Action',
    'EC2 Instance-terminate Lifecycle Action',
  ]);

  it.each(files)('%s', async (file) => {
    const w = await buildWorld();
    const raw = readJson(join(SAMPLE_EVENTS_DIR, file)) as Record<string, unknown>;
    const result = await makeHandler(w.deps)(raw);
    if (!KEY.has(raw['detail-type'] as string)) {
      expect(result).toMatchObject({ status: 'ignored' });
      expect(w.ports.journal.calls).toEqual([]);
      return;
    }
    // Key types are planned when the instance is in a managed group, ignored otherwise (the IBM sample's group).
    expect(['planned', 'ignored']).toContain(result.status);
    if (result.status === 'ignored') expect(result.reason).toMatch(/not managed|in no Auto Scaling group/);
    else expect(w.ports.publisher.plans()).toHaveLength(1);
  });

  it('the warm-pool standby group is loaded with the primary', async () => {
    const w = await buildWorld();
    await makeHandler(w.deps)(karpenterWarning());
    expect(w.ports.cloud.log.callsTo('describeGroups')[0]?.args).toEqual([[GROUP, STANDBY]]);
    expect(NOW).toBeGreaterThan(0);
  });
});
