import { describe, expect, it } from 'vitest';
import type { InstanceId, InstanceState } from '../../../lambda/core/domain';
import type { SimWorld } from '../../../lambda/sim/engine/sim-world';
import { SimulatedCloud } from '../../../lambda/sim/engine/simulated-cloud';
import { runStrategy } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { createAsgNativeStrategy, createNoneStrategy, createReactiveStrategy } from '../../../lambda/sim/strategies/baseline-strategies';
import { quietOnBundledTraces, withBurst } from './world-fixtures';

const quiet = quietOnBundledTraces();

describe('the simulated world: AWS semantics', () => {
  it('replaces a reclaimed instance only after the health check (none) and recovers later than on the warning (reactive)', async () => {
    const setup = withBurst(quiet());
    const none = await runStrategy(setup, createNoneStrategy());
    const reactive = await runStrategy(setup, createReactiveStrategy());
    expect(none.totals.spotInterruptions).toBeGreaterThanOrEqual(1);
    expect(reactive.totals.spotInterruptions).toBe(none.totals.spotInterruptions);
    expect(none.totals.unservedVcpuMinutes).toBeGreaterThan(reactive.totals.unservedVcpuMinutes);
  });
});

describe('the simulated world: scaling activities', () => {
  it("starts the scaling activity of a scale-out asked for by a step's scheduled work in that same step", async () => {
    const setup = quiet();
    let calledAt: number | undefined;
    const pending: { id: InstanceId; at: number }[] = [];
    // The none strategy (nothing in a quiet world) with one piece of scheduled work: a scale-out of the standby group.
    const strategy = {
      ...createNoneStrategy(),
      async onStep(world: SimWorld) {
        if (calledAt !== undefined || world.now() < setup.sample.startAt + 5 * 60_000) return;
        calledAt = world.now();
        await new SimulatedCloud(world, () => strategy).changeDesiredCapacity(GROUP_IDS.standby, 1);
      },
      async onInstanceState(world: SimWorld, id: InstanceId, state: InstanceState) {
        if (state === 'pending' && world.instance(id)?.groupId === GROUP_IDS.standby) pending.push({ id, at: world.now() });
      },
    };
    await runStrategy(setup, strategy);
    expect(calledAt).toBeDefined();
    expect(pending.map((p) => p.at)).toEqual([calledAt]);
  });
});

describe('the simulated world: one host at a time, every shortfall in an episode', () => {
  it('attributes all unserved demand to episodes, including the post-restart peak after a cut-over', async () => {
    const setup = withBurst(quiet(), 600);
    for (const strategy of [createNoneStrategy(), createAsgNativeStrategy(2)]) {
      const run = await runStrategy(setup, strategy);
      const inEpisodes = run.episodes.reduce((s, e) => s + e.unservedVcpuMinutes, 0);
      expect(run.totals.steadyUnservedVcpuMinutes).toBe(0);
      expect(inEpisodes).toBeCloseTo(run.totals.unservedVcpuMinutes, 9);
      for (const e of run.episodes) if (e.unservedVcpuMinutes > 0) expect(e.lastUnservedEnd).toBeGreaterThan(e.start);
    }
  });
});
