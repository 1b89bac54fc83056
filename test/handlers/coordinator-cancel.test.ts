import { describe, expect, it } from 'vitest';
import { DetailType, SPOTWISE_SOURCE } from '../../lambda/contracts/events';
import { instanceId, requestId, reservationId } from '../../lambda/core/domain';
import { interruptionDueEvent } from '../../lambda/events';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { MAX_TRAIL_ENTRIES } from '../../lambda/app/decision-trail';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, buildWorld, type World, addRequestVictim } from './world';

const REQ_NOW = Date.parse('2024-05-01T12:00:00Z');
const VICTIM = instanceId('i-0a1b2c3d4e5f60718');
const REQUEST_ID = requestId('patch-2024-05-01-web');

const requestWorld = async (poolVcpu = 32): Promise<World> => {
  const w = await buildWorld();
  w.ports.clock.set(REQ_NOW);
  w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
  addRequestVictim(w, REQ_NOW);
  await w.ports.stateStore.putPoolCapacity(GROUP, { vcpu: poolVcpu, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 });
  w.ports.clearCalls();
  return w;
};

const cancelEvent = (id: string, over: Record<string, unknown> = {}) => ({
  version: '0',
  id,
  source: SPOTWISE_SOURCE,
  'detail-type': DetailType.interruptionCancelRequested,
  account: '123456789012',
  time: '2024-05-01T12:01:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { requestId: REQUEST_ID, reason: 'patch postponed', ...over },
});

describe('coordinator: cancelling a request', () => {
  it('a scheduled request: recorded cancelled first, then its schedule deleted and its reservation released, all through the plan', async () => {
    const w = await requestWorld();
    const handle = makeCoordinator(w.deps);
    await handle(fixture('spotwise-interruption-requested-instance.json'));
    expect(w.ports.scheduler.pending()).toHaveLength(1);
    expect(w.ports.stateStore.allReservations()).toHaveLength(1);
    w.ports.clearCalls();

    const result = await handle(cancelEvent('cancel-1'));
    expect(result).toMatchObject({
      status: 'planned',
      noticeKind: 'interruption-cancel',
      succeeded: true,
      actions: ['record-request-status', 'cancel-schedule', 'release'],
    });
    expect(w.ports.scheduler.pending()).toEqual([]);
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    const [stored] = w.ports.stateStore.allRequests();
    expect(stored).toMatchObject({ status: 'cancelled', note: 'cancelled while scheduled: patch postponed', victim: VICTIM });
    // The admission's trail survives the cancel.
    expect(stored?.trail?.[0]?.checks.map((c) => c.name)).toEqual(['window', 'victim', 'forecast', 'budget', 'pool']);
    expect(stored?.trail?.[1]).toMatchObject({
      handler: 'coordinator',
      noticeKind: 'interruption-cancel',
      checks: [{ name: 'status', passed: true, detail: 'scheduled: not carried out yet, so it can be cancelled' }],
    });
    expect(stored?.trail?.[1]?.actions).toHaveLength(3);
    const seq = w.ports.journal.sequence();
    expect(seq.indexOf('stateStore.putRequest')).toBeLessThan(seq.indexOf('scheduler.cancel'));
    expect(seq.indexOf('scheduler.cancel')).toBeLessThan(seq.indexOf('stateStore.release'));
    const published = w.ports.publisher.log.calls.flatMap((c) => c.args[0] as { detailType: string; detail: { kind?: string } }[]);
    expect(published.filter((e) => e.detailType === 'Domain Event').map((e) => e.detail.kind)).toEqual(['interruption-cancelled']);

    // The schedule firing anyway (it was already on its way) changes nothing.
    const due = interruptionDueEvent({
      requestId: REQUEST_ID,
      instanceId: VICTIM,
      groupId: GROUP,
      reservationId: stored?.reservationId ?? reservationId(''),
      mode: 'stop',
      at: REQ_NOW + 5 * 60_000,
    });
    expect(await makeExecutor(w.deps)(due)).toMatchObject({ status: 'duplicate' });
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('running');
  });

  it('a deferred request: cancelled and out of the retry pass; nothing to release or delete', async () => {
    const w = await requestWorld(2);
    const handle = makeCoordinator(w.deps);
    await handle(fixture('spotwise-interruption-requested-instance.json'));
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'deferred' }]);
    const result = await handle(cancelEvent('cancel-2'));
    expect(result).toMatchObject({ status: 'planned', actions: ['record-request-status'] });
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'cancelled', note: 'cancelled while deferred: patch postponed' }]);
    expect(await w.ports.stateStore.listDueRequests(REQ_NOW + 3_600_000)).toEqual([]);
  });

  it.each([
    ['executed', 'the interruption was already carried out, not cancelled'],
    ['refused', 'it is settled, not cancelled'],
    ['cancelled', 'it is settled, not cancelled'],
  ] as const)('a %s request is left alone, and the plan says why', async (status, why) => {
    const w = await requestWorld();
    const request = {
      requestId: REQUEST_ID,
      selector: { kind: 'instance' as const, instanceId: VICTIM },
      reason: 'r',
      notBefore: REQ_NOW,
      deadline: REQ_NOW + 3_600_000,
      mode: 'stop' as const,
      requestedAt: REQ_NOW,
    };
    await w.ports.stateStore.putRequest({ request, status, updatedAt: REQ_NOW });
    w.ports.clearCalls();
    const result = await makeCoordinator(w.deps)(cancelEvent(`cancel-${status}`));
    expect(result).toMatchObject({ status: 'planned', actions: ['noop'] });
    const plan = w.ports.publisher.log.calls
      .flatMap((c) => c.args[0] as { detailType: string; detail: { plan?: { actions: { reason?: string }[] } } }[])
      .find((e) => e.detailType === 'Plan Made');
    expect(plan?.detail.plan?.actions[0]?.reason).toBe(`request ${REQUEST_ID} is ${status}: ${why}`);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status }]);
    expect(w.ports.mutatingCalls()).toEqual([]);
  });

  it('an unknown request: nothing to cancel', async () => {
    const w = await requestWorld();
    expect(await makeCoordinator(w.deps)(cancelEvent('cancel-unknown', { requestId: 'no-such-request' }))).toMatchObject({
      status: 'planned',
      actions: ['noop'],
    });
    expect(w.ports.stateStore.allRequests()).toEqual([]);
  });

  it('a malformed cancel is dropped naming the field and value', async () => {
    const w = await requestWorld();
    const result = await makeCoordinator(w.deps)(cancelEvent('cancel-bad', { requestId: '../etc/passwd' }));
    expect(result).toMatchObject({
      status: 'malformed',
      errors: expect.stringContaining('detail.requestId: expected 1-64 characters of letters, digits, "_", "." or "-" (got "../etc/passwd")'),
    });
  });

  it('keeps the newest decisions of a request that is deferred again and again', async () => {
    const w = await requestWorld(2);
    const handle = makeCoordinator(w.deps);
    await handle(fixture('spotwise-interruption-requested-instance.json'));
    for (let i = 0; i < MAX_TRAIL_ENTRIES + 2; i += 1) {
      w.ports.clock.advance(5 * 60_000);
      await handle({
        version: '0',
        id: `tick-${i}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: new Date(w.ports.clock.now()).toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: {},
      });
    }
    const [stored] = w.ports.stateStore.allRequests();
    expect(stored?.trail).toHaveLength(MAX_TRAIL_ENTRIES);
    const pool = stored?.trail?.at(-1)?.checks.find((c) => c.name === 'pool');
    expect(pool).toEqual({
      name: 'pool',
      passed: false,
      detail:
        'free 2 vCPU, 128 GiB, 100000 Mbps, 200000 IOPS of capacity 2 vCPU, 128 GiB, 100000 Mbps, 200000 IOPS (allocated 0 vCPU, 0 GiB, 0 Mbps, 0 IOPS, reserved 0 vCPU, 0 GiB, 0 Mbps, 0 IOPS); short 1 vCPU, 0 GiB, 0 Mbps, 0 IOPS',
    });
  });
});
