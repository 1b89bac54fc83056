import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSimulateOptions, SIMULATE_DEFAULTS, SimulateOptionError } from '../../lambda/sim/simulate-options';
import { STRATEGY_NAMES } from '../../lambda/sim/strategies/strategy-names';

const dir = mkdtempSync(join(tmpdir(), 'spotwise-opts-'));
const csv = join(dir, 'i.csv');
writeFileSync(csv, 'time,pool,fraction\n60,a,0.5\n');
const yaml = join(dir, 's.yaml');
writeFileSync(yaml, 'unused: the reader is injected\n');

describe('parseSimulateOptions', () => {
  it('fills the documented defaults', () => {
    expect(parseSimulateOptions({})).toEqual({
      seeds: [1],
      singleSeed: true,
      hours: 48,
      instances: 40,
      strategies: [...STRATEGY_NAMES],
      interruptionScale: 50,
      rebalanceShare: 0.5,
      lostRecommendations: 0,
      sweep: false,
      monitoring: 'agent-cpu',
      workers: Math.min(32, availableParallelism()),
      outDir: SIMULATE_DEFAULTS.outDir,
      progress: true,
      postRestartPeaks: {},
      otherSignals: { capacityReservationReclaims: 0, scheduledMaintenance: 0 },
      priorities: { bestEffortShare: 0, targetedShare: 0 },
      poolBudget: 1,
    });
  });

  it.each([
    [{ seed: '42' }, { seeds: [42], singleSeed: true }],
    [{ seeds: '1..3' }, { seeds: [1, 2, 3], singleSeed: false }],
    [{ seeds: '7' }, { seeds: [7], singleSeed: false }],
    [{ sweep: true }, { sweep: true }],
    [{ monitoring: 'detailed' }, { monitoring: 'detailed' }],
    [{ monitoring: ' basic' }, { monitoring: 'basic' }],
    [{ monitoring: 'agent-cpu' }, { monitoring: 'agent-cpu' }],
    [{ workers: '3' }, { workers: 3 }],
    [{ interruptions: csv }, { interruptionsFile: csv, replayedInterruptions: [{ line: 2, timeSeconds: 60, pool: 'a', fraction: 0.5 }] }],
    [{ hours: '0.5' }, { hours: 0.5 }],
    [{ instances: '12' }, { instances: 12 }],
    [{ strategy: 'spotwise, none' }, { strategies: ['none', 'spotwise'] }],
    [{ strategy: 'all' }, { strategies: [...STRATEGY_NAMES] }],
    [{ interruptionScale: '1' }, { interruptionScale: 1 }],
    [{ rebalanceShare: '0' }, { rebalanceShare: 0 }],
    [{ lostRecommendations: '0.25' }, { lostRecommendations: 0.25 }],
    [{ postRestartCpu: '3', postRestartMemory: '2' }, { postRestartPeaks: { cpu: 3, memory: 2 } }],
    [{ capacityReservationReclaims: '4', scheduledMaintenance: '2' }, { otherSignals: { capacityReservationReclaims: 4, scheduledMaintenance: 2 } }],
    [
      { json: 'out/x.json', out: 'out/y', progress: false },
      { jsonFile: 'out/x.json', outDir: 'out/y', progress: false },
    ],
    [
      { poolBudget: '0.5', bestEffortShare: '0.4', targetedRequests: '1' },
      { poolBudget: 0.5, priorities: { bestEffortShare: 0.4, targetedShare: 1 } },
    ],
  ])('reads %j', (raw, expected) => {
    expect(parseSimulateOptions(raw)).toMatchObject(expected);
  });

  it.each([
    [{ seed: '-1' }, '--seed'],
    [{ seed: '1.5' }, '--seed'],
    [{ seed: '' }, '--seed'],
    [{ hours: '0' }, '--hours'],
    [{ hours: '400' }, '--hours'],
    [{ instances: '3.5' }, '--instances'],
    [{ instances: '501' }, '--instances'],
    [{ strategy: '' }, '--strategy'],
    [{ out: '' }, '--out'],
    [{ seeds: '' }, '--seeds'],
    [{ seeds: '2..1' }, '--seeds'],
    [{ workers: '1.5' }, '--workers'],
    [{ workers: '33' }, '--workers'],
    [{ interruptions: dir }, '--interruptions'],
    [{ postRestartCpu: '0.5' }, '--post-restart-cpu'],
    [{ postRestartMemory: 'x' }, '--post-restart-memory'],
    [{ capacityReservationReclaims: '1.5' }, '--capacity-reservation-reclaims'],
    [{ scheduledMaintenance: '-2' }, '--scheduled-maintenance'],
    [{ poolBudget: '0' }, '--pool-budget'],
    [{ poolBudget: '1.5' }, '--pool-budget'],
    [{ bestEffortShare: '-0.1' }, '--best-effort-share'],
    [{ targetedRequests: '2' }, '--targeted-requests'],
    [{ lostRecommendations: '1.2' }, '--lost-recommendations'],
    [{ monitoring: 'enhanced' }, '--monitoring'],
  ])('refuses %j naming the option', (raw, option) => {
    let error: unknown;
    try {
      parseSimulateOptions(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulateOptionError);
    expect((error as SimulateOptionError).option).toBe(option);
    expect((error as Error).message).toContain(JSON.stringify(Object.values(raw)[0]));
  });
});

describe('parseSimulateOptions: files and combinations', () => {
  const errorOf = (f: () => unknown): SimulateOptionError => {
    try {
      f();
    } catch (e) {
      if (e instanceof SimulateOptionError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it('refuses --seed with --seeds, naming both', () => {
    const e = errorOf(() => parseSimulateOptions({ seed: '1', seeds: '1..3' }));
    expect(e.option).toBe('--seed and --seeds');
    expect(e.message).toContain('"--seed 1 --seeds 1..3"');
  });

  it('refuses an interruption beyond the run, naming the file, line and field', () => {
    const e = errorOf(() => parseSimulateOptions({ interruptions: csv, hours: '0.01' }));
    expect(e.message).toBe(
      `--interruptions: ${csv} line 2, field time: expected a time before the end of the run (36 s; raise --hours to replay it) (got "60")`,
    );
  });

  it('refuses --rebalance-share with a replayed file (the file decides the recommendations)', () => {
    expect(errorOf(() => parseSimulateOptions({ interruptions: csv, rebalanceShare: '0.2' })).option).toBe('--rebalance-share and --interruptions');
  });

  it('reads --config through the reader it is given and checks the fleet; their errors name the option and the file', () => {
    const config = { groups: [] } as never;
    expect(parseSimulateOptions({ config: yaml }, { readConfig: () => config })).toMatchObject({ configFile: yaml, fleetConfig: config });
    const bad = errorOf(() =>
      parseSimulateOptions(
        { config: yaml },
        {
          readConfig: () => {
            throw new Error('groups.0.policy (line 3): no policy named "x"');
          },
        },
      ),
    );
    expect(bad.message).toBe(`--config: groups.0.policy (line 3): no policy named "x" (got "${yaml}")`);
    const fleet = errorOf(() =>
      parseSimulateOptions(
        { config: yaml },
        {
          readConfig: () => config,
          checkConfigFleet: () => {
            throw new Error('groups: too big');
          },
        },
      ),
    );
    expect(fleet.message).toContain('--config: groups: too big');
  });

  it('refuses --sweep when --strategy names no knob strategy', () => {
    const e = errorOf(() => parseSimulateOptions({ sweep: true, strategy: 'none,spotwise' }));
    expect(e.message).toBe('--sweep: sweeps the knobs of asg-native, warm-reactive, static-headroom; --strategy names none of them (got "none,spotwise")');
    expect(parseSimulateOptions({ sweep: true, strategy: 'spotwise,static-headroom' }).sweep).toBe(true);
  });

  it('refuses --instances with --config (the configuration sizes the fleet)', () => {
    expect(errorOf(() => parseSimulateOptions({ config: yaml, instances: '10' }, { readConfig: () => ({}) as never })).option).toBe('--instances and --config');
  });
});
