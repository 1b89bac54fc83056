import { describe, expect, it } from 'vitest';
import {
  groupId,
  instanceId,
  requestId,
  reservationId,
  type Forecast,
  type InterruptionRequest,
  type Notice,
  type Plan,
  type Resources,
} from '../../../lambda/core/domain';
import { planDueInterruption, planInterruptionRequest } from '../../../lambda/core/coordinator/plan-request';
import { forecast, group, instance, policy, pool, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

/**
 * Borrowing decides admissions (policy borrow_limit): a 16-vCPU pool where high-priority i-hi holds 6, low-priority
 * i-lo is allocated 8 but uses 2, and mid-priority i-mid holds nothing spare — 2 vCPU free. i-hi's post-restart
 * demand is 4 vCPU, so its request is admitted only on a loan.
 */
const use = (vcpu: number): Resources => ({ vcpu, memoryGiB: 1, networkMbps: 10, diskIops: 10 });
const io = { networkMbps: 100, diskIops: 100 };
const withUse = (f: Forecast, u: Resources | undefined): Forecast => (f.kind === 'known' && u !== undefined ? { ...f, recentUse: u } : f);

const world = (opts: { borrowLimit?: number; loUse?: Resources; hiUse?: Resources; hiAllocation?: number } = {}) =>
  buildFleet(
    [
      group('web', {
        policy: policy({ borrowLimit: opts.borrowLimit ?? 0.5, disruptionBudget: { maxUnavailable: 2 } }),
        instances: [instance('i-hi', { priority: 90 }), instance('i-mid', { priority: 50 }), instance('i-lo', { priority: 10 })],
        desiredCapacity: 3,
        pool: pool(
          'web',
          { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 10_000 },
          {
            allocations: {
              'i-hi': { vcpu: opts.hiAllocation ?? 6, memoryGiB: 8, ...io },
              'i-mid': { vcpu: 0, memoryGiB: 4, ...io },
              'i-lo': { vcpu: 8, memoryGiB: 8, ...io },
            },
          },
        ),
      }),
    ],
    [
      withUse(forecast('i-hi', { vcpu: 4, memoryGiB: 4 }), opts.hiUse ?? use(3)),
      withUse(forecast('i-mid', { vcpu: 1, memoryGiB: 1 }), use(0)),
      withUse(forecast('i-lo', { vcpu: 2, memoryGiB: 2 }), 'loUse' in opts ? opts.loUse : use(2)),
    ],
  );

const request: InterruptionRequest = {
  requestId: requestId('req-hi'),
  selector: { kind: 'instance', instanceId: instanceId('i-hi') },
  reason: 'kernel patch',
  notBefore: T0,
  deadline: T0 + 2 * 3_600_000,
  mode: 'terminate',
  requestedAt: T0,
};
const reserved = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'reserve' ? [a.reservation] : []));
const deferred = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'defer-interruption' ? [a.reason] : []));

describe('a priority request admitted on a loan', () => {
  it('with borrowing off it is deferred: the reservation does not fit', () => {
    const plan = planInterruptionRequest(request, world({ borrowLimit: 0 }), { now: T0 });
    expect(reserved(plan)).toEqual([]);
    expect(deferred(plan)).toEqual(['reservation-does-not-fit']);
  });

  it('with borrow_limit 0.5 it is admitted: the shortfall (2 vCPU) is lent by the lowest-priority instance, and said so', () => {
    const plan = planInterruptionRequest(request, world(), { now: T0 });
    const [r] = reserved(plan);
    expect([r?.purpose, r?.subject]).toEqual(['request', instanceId('i-hi')]);
    expect(r?.loans).toEqual([{ lender: instanceId('i-lo'), amount: { vcpu: 2, memoryGiB: 0, networkMbps: 0, diskIops: 0 } }]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['reserve', 'schedule-interruption']);
    expect(plan.events.filter((e) => e.kind === 'loan-made')).toEqual([
      {
        kind: 'loan-made',
        at: T0,
        groupId: groupId('web'),
        reservationId: r!.id,
        lender: instanceId('i-lo'),
        borrower: instanceId('i-hi'),
        amount: { vcpu: 2, memoryGiB: 0, networkMbps: 0, diskIops: 0 },
      },
    ]);
  });

  it.each<[string, Parameters<typeof world>[0]]>([
    ['the limit leaves too little (0.25 of 6 unused = 1.5 < 2)', { borrowLimit: 0.25 }],
    ['the lender uses nearly all it holds', { loUse: use(7.5) }],
    ["the lender's use is unknown (no recentUse)", { loUse: undefined }],
    ['the victim uses more than its own allocation now (an over-consumer does not borrow)', { hiUse: use(6.5) }],
  ])('no loan when %s: deferred with the shortfall', (_name, opts) => {
    const plan = planInterruptionRequest(request, world(opts), { now: T0 });
    expect(reserved(plan)).toEqual([]);
    expect(deferred(plan)).toEqual(['reservation-does-not-fit']);
  });

  it('a due interruption whose borrowing reservation was revoked borrows again when lenders have room, else it is deferred', () => {
    const due: Extract<Notice, { kind: 'interruption-due' }> = {
      kind: 'interruption-due',
      eventId: 'evt-due',
      at: T0,
      requestId: requestId('req-hi'),
      groupId: groupId('web'),
      instanceId: instanceId('i-hi'),
      reservationId: reservationId('request:req-hi:i-hi'),
      mode: 'terminate',
    };
    const again = planDueInterruption(due, world(), { now: T0 });
    expect(reserved(again)[0]?.loans?.map((l) => l.lender)).toEqual([instanceId('i-lo')]);
    expect(again.actions.map((a) => a.kind)).toEqual(['reserve', 'interrupt-instance']);
    const busy = planDueInterruption(due, world({ loUse: use(8) }), { now: T0 });
    expect(reserved(busy)).toEqual([]);
    expect(deferred(busy)).toEqual(['reservation-does-not-fit']);
  });
});
