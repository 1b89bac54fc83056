import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { interruptionDueEvent } from '../../lambda/events';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import { makeHandler as makeProfiler } from '../../lambda/handlers/profiler';
import { borrowingWorld, domainEvents, HI, LO, MINUTE, NOW, POOL_GIB, requestEvent, samples, tick, GROUP } from './borrowing-world';

/**
 * Borrowing through the running path (profiler → coordinator → profiler → executor). A batch group's pool has
 * POOL_GIB of memory. HI (priority 90) uses 5 GiB; LO (priority 10) used 6 GiB for most of the hour and 1 GiB for
 * the last ten minutes, so its allocation (its steady p90) is 6 GiB while it uses 1. A request to interrupt HI needs
 * its post-restart memory reserved, which does not fit what is free: with `borrow_limit` it is admitted on a loan
 * from LO's unused allocation; when LO's use comes back the next profiler tick calls the loan back, which releases
 * HI's reservation; when the interruption falls due the executor admits again from scratch — nothing left to
 * borrow — and defers the request with the shortfall.
 */
const world = borrowingWorld;

const RESERVATION = 'request:patch-hi:i-0aaaaaaaaaaaaaaa1';
const requestStatus = (ports: ReturnType<typeof world>['ports']) => ports.stateStore.allRequests()[0];

describe('borrowing through the running path', () => {
  it('off (borrow_limit 0): the request is deferred, its post-restart memory short', async () => {
    const { ports, deps } = world(0);
    await makeProfiler(deps)(tick);
    await makeCoordinator(deps)(requestEvent);
    expect(requestStatus(ports)).toMatchObject({ status: 'deferred', note: expect.stringContaining('reservation-does-not-fit') });
    expect(ports.stateStore.allReservations()).toEqual([]);
    expect(deps.telemetry.total(MetricName.loansMade)).toBe(0);
  });

  it("on: admitted only thanks to a loan; the loan is called back when the lender's use rises; the due interruption is then deferred", async () => {
    const { ports, deps } = world(1);
    await makeProfiler(deps)(tick);
    const before = ports.stateStore.poolSnapshot(GROUP)!;
    const loAllocated = before.allocations.get(LO)!.memoryGiB;

    // 1. Admitted on a loan from LO: one write moves the loan out of LO's allocation into HI's reservation.
    await makeCoordinator(deps)(requestEvent);
    expect(requestStatus(ports)).toMatchObject({ status: 'scheduled', reservationId: RESERVATION });
    const [held] = ports.stateStore.allReservations();
    expect(held?.loans).toHaveLength(1);
    const loan = held!.loans![0]!;
    expect(loan.lender).toBe(LO);
    const after = ports.stateStore.poolSnapshot(GROUP)!;
    // Exactly what was short was borrowed, so the pool is exactly full on memory and LO holds the rest.
    expect(after.allocations.get(LO)!.memoryGiB).toBe(loAllocated - loan.amount.memoryGiB);
    expect(held!.amount.memoryGiB - loan.amount.memoryGiB).toBe(POOL_GIB - [...before.allocations.values()].reduce((s, a) => s + a.memoryGiB, 0));
    expect(domainEvents(ports, 'loan-made')).toEqual([
      { kind: 'loan-made', at: NOW, groupId: GROUP, reservationId: RESERVATION, lender: LO, borrower: HI, amount: loan.amount },
    ]);
    expect(deps.telemetry.total(MetricName.loansMade, { GroupName: GROUP })).toBe(1);
    expect(
      requestStatus(ports)
        ?.trail?.at(-1)
        ?.checks.find((c) => c.name === 'pool')?.detail,
    ).toContain(`of ${LO}'s unused allocation (borrow_limit 1)`);

    // 2. LO's use comes back to 6 GiB; at the next tick its use exceeds what it holds: the loan is called back,
    //    which releases HI's reservation and gives LO its capacity back.
    ports.metrics.addSamples(
      LO,
      samples(NOW, 5, () => 6),
    );
    ports.metrics.addSamples(
      HI,
      samples(NOW, 5, () => 5),
    );
    ports.clock.advance(5 * MINUTE);
    await makeProfiler(deps)(tick);
    expect(ports.stateStore.allReservations()).toEqual([]);
    expect(domainEvents(ports, 'loan-revoked')).toEqual([
      {
        kind: 'loan-revoked',
        at: NOW + 5 * MINUTE,
        groupId: GROUP,
        reservationId: RESERVATION,
        lender: LO,
        borrower: HI,
        amount: loan.amount,
        reason: expect.stringMatching(new RegExp(`lender ${LO} uses 6 memoryGiB > its allocation`)),
      },
    ]);
    expect(deps.telemetry.total(MetricName.loansRevoked, { GroupName: GROUP })).toBe(1);
    expect(ports.stateStore.poolSnapshot(GROUP)!.allocations.get(LO)!.memoryGiB).toBeGreaterThanOrEqual(6);
    // The request itself is untouched until its interruption falls due.
    expect(requestStatus(ports)).toMatchObject({ status: 'scheduled' });

    // 3. Due: the reservation is gone, so the executor admits again from scratch — LO has nothing to lend now —
    //    and defers with the shortfall instead of interrupting HI unprotected.
    ports.clock.set(NOW + 10 * MINUTE);
    const [due] = ports.scheduler.takeDue(ports.clock.now());
    await makeExecutor(deps)(JSON.parse(JSON.stringify(interruptionDueEvent(due!))));
    expect(requestStatus(ports)).toMatchObject({ status: 'deferred', note: expect.stringContaining('reservation-does-not-fit') });
    expect(ports.cloud.log.mutatingCalls().filter((c) => c.operation === 'terminateInstances' || c.operation === 'terminateInstanceInGroup')).toEqual([]);
    expect(ports.stateStore.allReservations()).toEqual([]);
  });

  it('control: while the lender stays idle the loan holds, and the due interruption goes ahead on it', async () => {
    const { ports, deps } = world(1);
    await makeProfiler(deps)(tick);
    await makeCoordinator(deps)(requestEvent);
    ports.metrics.addSamples(
      LO,
      samples(NOW, 5, () => 1),
    );
    ports.metrics.addSamples(
      HI,
      samples(NOW, 5, () => 5),
    );
    ports.clock.advance(5 * MINUTE);
    await makeProfiler(deps)(tick);
    expect(domainEvents(ports, 'loan-revoked')).toEqual([]);
    expect(ports.stateStore.allReservations().map((r) => r.loans?.length)).toEqual([1]);
    ports.clock.set(NOW + 10 * MINUTE);
    const [due] = ports.scheduler.takeDue(ports.clock.now());
    await makeExecutor(deps)(JSON.parse(JSON.stringify(interruptionDueEvent(due!))));
    expect(
      ports.cloud.log
        .mutatingCalls()
        .filter((c) => c.operation === 'terminateInstances' || c.operation === 'terminateInstanceInGroup')
        .map((c) => c.operation),
    ).toHaveLength(1);
  });

  it('an instance using more than its own allocation is not admitted on a loan', async () => {
    const { ports, deps } = world(1);
    await makeProfiler(deps)(tick);
    ports.metrics.addSamples(
      HI,
      samples(NOW - 4 * MINUTE, 4, () => 7.5),
    );
    ports.clock.advance(MINUTE);
    await makeProfiler(deps)(tick);
    await makeCoordinator(deps)({ ...requestEvent, id: '6f1c3f8e-2b7d-4f47-9a53-0c1e9d2f4a98', time: new Date(NOW + MINUTE).toISOString() });
    expect(requestStatus(ports)).toMatchObject({ status: 'deferred' });
    expect(ports.stateStore.allReservations()).toEqual([]);
  });

  it('a borrower throttled after its admission loses its reservation at the next tick (policy throttle on)', async () => {
    const { ports, deps } = world(1, { enabled: true, over_allocation_minutes: 3 });
    await makeProfiler(deps)(tick);
    await makeCoordinator(deps)(requestEvent);
    expect(ports.stateStore.allReservations()).toHaveLength(1);
    // HI now runs 7.5 GiB, over its 5 GiB allocation, for 8 minutes; LO stays idle, so only the throttle calls it back.
    ports.metrics.addSamples(
      HI,
      samples(NOW, 8, () => 7.5),
    );
    ports.metrics.addSamples(
      LO,
      samples(NOW, 8, () => 1),
    );
    ports.clock.advance(8 * MINUTE);
    await makeProfiler(deps)(tick);
    expect(ports.publisher.entries.filter((e) => e.detailType === 'Throttle Requested').map((e) => (e.detail as { instanceId: string }).instanceId)).toContain(
      HI,
    );
    expect(domainEvents(ports, 'loan-revoked')).toMatchObject([{ reservationId: RESERVATION, borrower: HI, reason: expect.stringContaining('is throttled') }]);
    expect(ports.stateStore.allReservations()).toEqual([]);
  });
});
