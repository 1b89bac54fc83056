import { describe, expect, it } from 'vitest';
import { parseSimulateOptions, SIMULATE_DEFAULTS, SimulateOptionError } from '../../lambda/sim/simulate-options';

describe('parseSimulateOptions', () => {
  it('fills the documented defaults', () => {
    expect(parseSimulateOptions({})).toEqual({
      seed: 1, hours: 48, instances: 40, strategies: ['none', 'reactive', 'rebalance', 'spotwise'], interruptionScale: 50, rebalanceShare: 0.5,
      outDir: SIMULATE_DEFAULTS.outDir, progress: true,
    });
  });

  it.each([
    [{ seed: '42' }, { seed: 42 }],
    [{ hours: '0.5' }, { hours: 0.5 }],
    [{ instances: '12' }, { instances: 12 }],
    [{ strategy: 'spotwise, none' }, { strategies: ['none', 'spotwise'] }],
    [{ strategy: 'all' }, { strategies: ['none', 'reactive', 'rebalance', 'spotwise'] }],
    [{ interruptionScale: '1' }, { interruptionScale: 1 }],
    [{ rebalanceShare: '0' }, { rebalanceShare: 0 }],
    [{ json: 'out/x.json', out: 'out/y', progress: false }, { jsonFile: 'out/x.json', outDir: 'out/y', progress: false }],
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
