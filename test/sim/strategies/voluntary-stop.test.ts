import { beforeAll, describe, expect, it } from 'vitest';
import { instanceId, requestId, type InterruptionRequest } from '../../../lambda/core/domain';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { runStrategy } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { createSpotwiseStrategy } from '../../../lambda/sim/strategies/spotwise-strategy';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

/**
 * Two quiet hours in which an operator asks spotwise to stop (and another to hibernate) an On-Demand member of the
 * web group. The world enforces AWS's rules: a stop takes 45 s, a retype or start before that is refused
 * (`failedActions`), and an In-Service member stopped for a health-check period is replaced (`healthCheckReplacements`)
 * unless it is in Standby.
 */
const stopRequests = (modes: readonly ('stop' | 'hibernate')[]): { readonly setup: PreparedSimulation; readonly victims: readonly string[] } => {
  const base = prepareSimulation({
    seed: 1,
    hours: 2,
    instances: 10,
    traces,
    checkInvariants: true,
    predictor: 'fallback',
    interruption: { rateScale: 0 },
    requests: { meanHoursBetweenWaves: 0 },
  });
  const web = (base.sample.cloud.instances ?? [])
    .filter((i) => i.groupId === GROUP_IDS.web && !i.warm)
    .slice(0, modes.length)
    .map((i) => i.id);
  if (web.length < modes.length) throw new Error('the sample has too few web instances');
  // Web members launched On-Demand (a group's On-Demand base): the only members a stop or hibernate may be asked of.
  const instances = (base.sample.cloud.instances ?? []).map((i) => (web.includes(i.id) ? { ...i, lifecycle: 'on-demand' as const } : i));
  const at = base.sample.startAt + 10 * 60_000;
  const requests: InterruptionRequest[] = modes.map((mode, k) => ({
    requestId: requestId(`req-${mode}-${k}`),
    selector: { kind: 'instance', instanceId: instanceId(web[k] ?? '') },
    reason: 'kernel patch',
    notBefore: at + k * 20 * 60_000,
    deadline: at + 90 * 60_000,
    mode,
    requestedAt: at,
  }));
  return { setup: { ...base, sample: { ...base.sample, cloud: { ...base.sample.cloud, instances } }, requests }, victims: web };
};

describe('spotwise under AWS-faithful asynchronous states and health checks', () => {
  // One request per run: a member stopped in Standby stays stopped (until an operator starts it), and counts against
  // the group's disruption budget (max_unavailable 1) meanwhile.
  it.each(['stop', 'hibernate'] as const)(
    'a run with a %s-mode request: carried out, no refused call, no health-check replacement',
    async (mode) => {
      const { setup } = stopRequests([mode]);
      const run = await runStrategy(setup, createSpotwiseStrategy(setup));
      expect(run.deliveryErrors).toEqual([]);
      expect(run.requests).toMatchObject({ requestsAdmitted: 1, requestsUnserved: 0 });
      expect(run.episodes.filter((e) => e.kind === 'voluntary').length).toBe(1);
      expect(run.totals.failedActions).toBe(0);
      expect(run.totals.healthCheckReplacements).toBe(0);
    },
    120_000,
  );

  it('a second stop in the same group waits while the first member is stopped in Standby (the budget counts it)', async () => {
    const { setup } = stopRequests(['stop', 'hibernate']);
    const run = await runStrategy(setup, createSpotwiseStrategy(setup));
    expect(run.requests).toMatchObject({ requestsAdmitted: 1, requestsDeferred: 1 });
    expect(run.totals.failedActions).toBe(0);
    expect(run.totals.healthCheckReplacements).toBe(0);
  }, 120_000);
});
