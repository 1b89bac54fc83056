import { describe, expect, it } from 'vitest';
import { runStrategy } from '../../../lambda/sim/run-strategy';
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
