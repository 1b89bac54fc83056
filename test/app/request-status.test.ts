import { describe, expect, it } from 'vitest';
import { groupId, instanceId, requestId, reservationId, type Action, type InterruptionRequest, type Plan, type Reservation } from '../../lambda/core/domain';
import type { ActionOutcome, ExecutionReport } from '../../lambda/app/execute-plan';
import { requestStatusAfter, storeRequestRecord } from '../../lambda/app/request-status';
import { MetricName } from '../../lambda/contracts/metrics';
import { createInMemoryPorts, RecordingTelemetry } from '../../lambda/sim/memory';
import { reconcileEvents } from '../../lambda/app/run-plan';

const NOW = 1_000_000;
const g = groupId('web');
const i = instanceId('i-00000000000000001');
const request: InterruptionRequest = {
  requestId: requestId('r1'),
  selector: { kind: 'instance', instanceId: i },
  reason: 'patch',
  notBefore: NOW,
  deadline: NOW + 3_600_000,
  mode: 'stop',
  requestedAt: NOW,
};
const reservation: Reservation = {
  id: reservationId('request:r1:i'),
  groupId: g,
  instanceId: i,
  amount: { vcpu: 1, memoryGiB: 1, networkMbps: 0, diskIops: 0 },
  createdAt: NOW,
  expiresAt: NOW + 600_000,
  reason: 'x',
  priority: 50,
};
const reserve: Action = { kind: 'reserve', reservation };
const schedule: Action = {
  kind: 'schedule-interruption',
  groupId: g,
  instanceId: i,
  requestId: request.requestId,
  reservationId: reservation.id,
  at: NOW + 60_000,
  mode: 'stop',
};
const interrupt: Action = { kind: 'interrupt-instance', groupId: g, instanceId: i, mode: 'stop', requestId: request.requestId, reason: 'due' };
const defer = (retryAt?: number): Action => ({
  kind: 'defer-interruption',
  requestId: request.requestId,
  reason: 'reservation-does-not-fit',
  detail: 'short 2 vCPU',
  ...(retryAt !== undefined ? { retryAt } : {}),
});

const report = (outcomes: ActionOutcome[], extra: Partial<ExecutionReport> = {}): ExecutionReport => ({
  dryRun: false,
  outcomes,
  compensations: [],
  succeeded: !outcomes.some((o) => o.kind === 'failed'),
  reserved: [],
  refused: [],
  ...extra,
});
const done = (action: Action): ActionOutcome => ({ kind: 'done', action, at: NOW });
const plan = (...actions: Action[]): Plan => ({ actions, events: [] });

describe('requestStatusAfter', () => {
  it.each<[string, Plan, ExecutionReport, Record<string, unknown>]>([
    ['scheduled', plan(reserve, schedule), report([done(reserve), done(schedule)]), { status: 'scheduled', victim: i, reservationId: reservation.id }],
    ['executed', plan(interrupt), report([done(interrupt)]), { status: 'executed', victim: i }],
    [
      'deferred by the planner',
      plan(defer(NOW + 300_000)),
      report([done(defer(NOW + 300_000))]),
      { status: 'deferred', retryAt: NOW + 300_000, note: 'reservation-does-not-fit: short 2 vCPU' },
    ],
    ['refused by the planner (no retry time)', plan(defer()), report([done(defer())]), { status: 'refused', note: 'reservation-does-not-fit: short 2 vCPU' }],
    [
      'the store refused the reservation: deferred for a retry',
      plan(reserve, schedule),
      report([
        { kind: 'refused', action: reserve as Action & { kind: 'reserve' }, shortfall: reservation.amount },
        { kind: 'skipped', action: schedule, cause: 'fail-closed', reason: 'fail closed: reservation request:r1:i was refused' },
      ]),
      { status: 'deferred', retryAt: NOW + 300_000, note: expect.stringContaining('fail closed') },
    ],
    [
      'an action failed: deferred for a retry',
      plan(reserve, schedule),
      report([done(reserve), { kind: 'failed', action: schedule, error: new Error('ThrottlingException') }]),
      { status: 'deferred', note: 'schedule-interruption failed: ThrottlingException' },
    ],
    [
      'nothing happened',
      plan({ kind: 'noop', reason: 'unknown instance' }),
      report([done({ kind: 'noop', reason: 'unknown instance' })]),
      { status: 'refused', note: 'unknown instance' },
    ],
  ])('%s', (_n, p, r, expected) => {
    expect(requestStatusAfter(request, p, r, NOW)).toMatchObject({ request, updatedAt: NOW, ...expected });
  });

  it('a failure with no time left before the deadline is a refusal', () => {
    const late = { ...request, deadline: NOW };
    expect(requestStatusAfter(late, plan(schedule), report([{ kind: 'failed', action: schedule, error: new Error('x') }]), NOW)).toMatchObject({
      status: 'refused',
      note: expect.stringContaining('no time left'),
    });
  });

  it('a retry never goes past the deadline', () => {
    const soon = { ...request, deadline: NOW + 60_000 };
    expect(requestStatusAfter(soon, plan(schedule), report([{ kind: 'failed', action: schedule, error: new Error('x') }]), NOW)).toMatchObject({
      status: 'deferred',
      retryAt: NOW + 60_000,
    });
  });
});

describe('reconcileEvents', () => {
  const planned: Plan = {
    actions: [reserve, schedule],
    events: [
      { kind: 'reservation-made', at: NOW, groupId: g, instanceId: i, reservationId: reservation.id, amount: reservation.amount },
      { kind: 'interruption-scheduled', at: NOW, groupId: g, instanceId: i, requestId: request.requestId, scheduledFor: NOW + 60_000 },
      { kind: 'capacity-staged', at: NOW, groupId: g, detail: 'x' },
    ],
  };

  it('keeps what happened', () => {
    expect(reconcileEvents(planned, report([done(reserve), done(schedule)]), NOW).map((e) => e.kind)).toEqual([
      'reservation-made',
      'interruption-scheduled',
      'capacity-staged',
    ]);
  });

  it('turns a refused reservation into reservation-refused and its blocked schedule into a deferral', () => {
    const shortfall = { vcpu: 2, memoryGiB: 0, networkMbps: 0, diskIops: 0 };
    const r = report(
      [
        { kind: 'refused', action: reserve as Action & { kind: 'reserve' }, shortfall },
        { kind: 'skipped', action: schedule, cause: 'fail-closed', reason: 'fail closed: x' },
      ],
      { refused: [{ reservation, shortfall }] },
    );
    expect(reconcileEvents(planned, r, NOW)).toMatchObject([
      { kind: 'reservation-refused', shortfall, instanceId: i },
      { kind: 'interruption-deferred', requestId: request.requestId, reason: 'reservation-does-not-fit' },
      { kind: 'capacity-staged' },
    ]);
  });

  it('drops what compensation undid and adds a fail-closed event naming the failure', () => {
    const r = report([done(reserve), { kind: 'failed', action: schedule, error: new Error('boom') }], {
      compensations: [{ kind: 'done', action: { kind: 'release', groupId: g, reservationId: reservation.id, reason: 'compensation' }, at: NOW }],
    });
    expect(reconcileEvents(planned, r, NOW)).toMatchObject([
      { kind: 'capacity-staged' },
      { kind: 'fail-closed', groupId: g, instanceId: i, reason: 'schedule-interruption failed: boom; the rest of the plan was not carried out' },
    ]);
  });
});

describe('storeRequestRecord: the record written through the executor', () => {
  const record = { request, status: 'deferred' as const, retryAt: NOW + 300_000, note: 'pool full', updatedAt: NOW };
  const world = () => {
    const p = createInMemoryPorts({ now: NOW });
    return {
      p,
      deps: {
        ports: p.handlerPorts(),
        telemetry: new RecordingTelemetry(),
      },
    };
  };

  it('live: written as decided; dry-run: nothing written', async () => {
    const live = world();
    await storeRequestRecord(live.deps, record, false, {});
    expect(await live.p.stateStore.getRequest(request.requestId)).toEqual(record);
    const dry = world();
    await storeRequestRecord(dry.deps, record, true, {});
    expect(await dry.p.stateStore.getRequest(request.requestId)).toBeUndefined();
    expect(dry.p.stateStore.log.callsTo('putRequest')).toEqual([]);
  });

  it('a failed write is logged, counted and thrown (the previous record stands)', async () => {
    const { p, deps } = world();
    p.stateStore.log.failNext('putRequest', new Error('table unavailable'));
    await expect(storeRequestRecord(deps, record, false, { requestId: 'r1' })).rejects.toThrow('table unavailable');
    expect(deps.telemetry.logsAt('error')).toMatchObject([
      { message: 'storing the request record failed', fields: { requestId: 'r1', error: 'table unavailable' } },
    ]);
    expect(deps.telemetry.pending.filter((m) => m.name === MetricName.actionFailures)).toHaveLength(1);
  });
});
