import { describe, expect, it } from 'vitest';
import { formatText, planEvent, type PlanTarget } from '../../../bin/commands/plan';
import { reservationId } from '../../../lambda/core/domain';
import { makeHandler as makeCoordinator } from '../../../lambda/handlers/coordinator';
import { makeHandler as makeProfiler } from '../../../lambda/handlers/profiler';
import { borrowingWorld, GROUP, HI, LO, MINUTE, NOW, requestEvent, samples, tick as profileTick } from '../../handlers/borrowing-world';

/**
 * `spotwise plan` for a profile tick prints what the profiler's tick does to the pool (core planPoolUpkeep, the
 * profiler's own code): members held below what they want with the reason, loans, loans called back and throttles.
 * The world: a 13 GiB pool; HI (priority 90) uses 5 GiB; LO (10) used 6 GiB and now 1, so a request for HI is
 * admitted on a loan from LO (borrow_limit 1); then LO's use comes back.
 */
const world = async () => {
  const { ports, deps } = borrowingWorld(1);
  await makeProfiler(deps)(profileTick);
  await makeCoordinator(deps)(requestEvent);
  const target: PlanTarget = {
    description: 'test fleet',
    ports: { instances: ports.cloud, capacity: ports.cloud, state: ports.stateStore },
    managed: deps.managed,
    now: NOW,
  };
  return { ports, deps, target };
};
const tick = {
  version: '0',
  id: 'tick-1',
  'detail-type': 'Profile Tick',
  source: 'spotwise',
  account: '123456789012',
  time: new Date(NOW).toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: { groupName: GROUP },
};

describe('spotwise plan: a profile tick shows the pool the profiler would leave', () => {
  it('the loan and who holds less than it wants, with the reason; nothing called back while the lender is idle', async () => {
    const { target } = await world();
    const out = await planEvent(tick, target);
    if (out.kind !== 'planned') throw new Error(out.errors);
    expect(out.pool?.loans).toEqual([
      { reservationId: reservationId('request:patch-hi:i-0aaaaaaaaaaaaaaa1'), borrower: HI, lender: LO, amount: expect.objectContaining({ vcpu: 0 }) },
    ]);
    expect(out.pool?.capped.map((c) => c.instanceId)).toEqual([LO]);
    expect(out.plan.actions.filter((a) => a.kind === 'release')).toEqual([]);
    const text = formatText(out, target, 'tick.json');
    expect(text).toContain(`  loans (1):\n    request:patch-hi:i-0aaaaaaaaaaaaaaa1 for ${HI} borrows 0 vCPU, `);
    expect(text).toMatch(new RegExp(`    ${LO}: wants .* allocated .* — held .* below its steady p90: its priority tier's fair share`));
  });

  it("when the lender's use is back, the plan calls the loan back first and says why", async () => {
    const { ports, deps, target } = await world();
    ports.metrics.addSamples(
      LO,
      samples(NOW, 5, () => 6),
    );
    ports.metrics.addSamples(
      HI,
      samples(NOW, 5, () => 5),
    );
    ports.clock.advance(5 * MINUTE);
    // A dry-run tick stores the profiles and forecasts (what spotwise learns), not the pool: plan reads them.
    await makeProfiler({ ...deps, dryRun: true })(profileTick);
    const out = await planEvent(tick, { ...target, now: NOW + 5 * MINUTE });
    if (out.kind !== 'planned') throw new Error(out.errors);
    // The refresh is written first, as the profiler's plan does; the call-back follows it.
    expect(out.plan.actions[0]).toMatchObject({ kind: 'refresh-pool', create: false });
    expect(out.plan.actions[1]).toMatchObject({
      kind: 'release',
      reservationId: 'request:patch-hi:i-0aaaaaaaaaaaaaaa1',
      reason: expect.stringContaining(`loan revoked: lender ${LO} uses 6 memoryGiB`),
    });
    expect(out.plan.events[0]).toMatchObject({ kind: 'loan-revoked', lender: LO, borrower: HI });
    expect(out.pool?.loans).toEqual([]);
  });
});
