import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambda/contracts/validation';
import type { Resources } from '../../../lambda/core/domain';
import {
  DEFAULT_PLACEMENT_WEIGHTS,
  InvalidPlacementInputError,
  choosePlacement,
  parsePlacementWeights,
  scorePlacement,
  type PlacementTarget,
} from '../../../lambda/core/placement/placement-score';
import { PRIORITY_NAMES } from '../../../lambda/contracts/policy-schema';
import { InvalidResourcesError } from '../../../lambda/core/resources/resources';

const res = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const target = (id: string, capacity: Resources, used: Resources): PlacementTarget => ({ id, capacity, used });

/** The seed's calculate_node_score, transcribed line by line (CPU and memory only). */
const seedNodeScore = (
  node: { total_cpu: number; used_cpu: number; total_memory: number; used_memory: number },
  task: { cpu_cores: number; memory_gb: number; priority_value: number },
): number => {
  const available_cpu = node.total_cpu - node.used_cpu;
  const available_memory = node.total_memory - node.used_memory;
  if (available_cpu < task.cpu_cores || available_memory < task.memory_gb) return -1;
  return task.priority_value * 0.5 + (available_cpu / node.total_cpu) * 0.3 + (available_memory / node.total_memory) * 0.2;
};

describe('seed 9848041 resource broker example', () => {
  // The seed's task profile (cpu_cores 4, memory_gb 8, priority "high") placed on three nodes.
  const demand = res(4, 8, 100, 500);
  const high = PRIORITY_NAMES.high / 100; // 0.9: spotwise's 0..100 priority as the score's 0..1 (absorb-load.ts)
  const nodes = [
    target('node-1', res(16, 64, 10_000, 20_000), res(4, 16, 1000, 1000)), // 12/16 CPU, 48/64 GiB free
    target('node-2', res(8, 32, 10_000, 20_000), res(6, 8, 1000, 1000)), // 2 CPU free < 4: does not fit
    target('node-3', res(32, 128, 10_000, 20_000), res(8, 100, 1000, 1000)), // 24/32 CPU, 28/128 GiB free
  ];

  it.each<[string, number | 'does-not-fit']>([
    ['node-1', 0.9 * 0.5 + 0.75 * 0.3 + 0.75 * 0.2], // 0.825
    ['node-2', 'does-not-fit'],
    ['node-3', 0.9 * 0.5 + 0.75 * 0.3 + (28 / 128) * 0.2], // 0.71875
  ])('%s scores %s', (id, expected) => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(id);
    const score = scorePlacement(node, demand, high);
    if (expected === 'does-not-fit') expect(score).toBe('does-not-fit');
    else expect(score).toBeCloseTo(expected, 12);
  });

  it('chooses node-1, as schedule_task would', () => {
    expect(choosePlacement(nodes, demand, high)).toEqual({ id: 'node-1', score: expect.closeTo(0.825, 12) as unknown as number });
  });

  it('matches the transcribed seed formula whenever network and disk have room', () => {
    const dim = fc.integer({ min: 1, max: 256 });
    fc.assert(
      fc.property(
        dim,
        dim,
        dim,
        dim,
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 100 }),
        (tc, uc, tm, um, dc, dm, p) => {
          const usedCpu = Math.min(uc, tc);
          const usedMem = Math.min(um, tm);
          const ours = scorePlacement(target('n', res(tc, tm, 100, 100), res(usedCpu, usedMem)), res(dc, dm), p / 100);
          const seed = seedNodeScore(
            { total_cpu: tc, used_cpu: usedCpu, total_memory: tm, used_memory: usedMem },
            { cpu_cores: dc, memory_gb: dm, priority_value: p / 100 },
          );
          if (seed === -1) expect(ours).toBe('does-not-fit');
          else expect(ours).toBeCloseTo(seed, 12);
        },
      ),
    );
  });
});

describe('scorePlacement', () => {
  it.each<[string, PlacementTarget, Resources, string | number]>([
    ['network short', target('t', res(8, 8, 100, 100), res(0, 0, 50, 0)), res(1, 1, 60, 0), 'does-not-fit'],
    ['disk short', target('t', res(8, 8, 100, 100), res(0, 0, 0, 100)), res(1, 1, 0, 1), 'does-not-fit'],
    ['over-used target fits nothing', target('t', res(8, 8), res(9, 0)), res(0, 0), 'does-not-fit'],
    ['exactly full after placing', target('t', res(8, 8), res(4, 4)), res(4, 4), 0.5 * 0.5 + 0.5 * 0.3 + 0.5 * 0.2],
    ['empty target', target('t', res(8, 8), res(0, 0)), res(1, 1), 0.25 + 0.3 + 0.2],
    ['no memory dimension: zero capacity gives zero free fraction', target('t', res(8, 0), res(0, 0)), res(1, 0), 0.25 + 0.3],
  ])('%s', (_name, t, demand, expected) => {
    const score = scorePlacement(t, demand, 0.5);
    if (typeof expected === 'string') expect(score).toBe(expected);
    else expect(score).toBeCloseTo(expected, 12);
  });

  it('uses configured weights', () => {
    const cpuOnly = parsePlacementWeights({ priority: 0, freeCpu: 1, freeMemory: 0 });
    expect(scorePlacement(target('t', res(10, 10), res(2, 9)), res(1, 1), 1, cpuOnly)).toBeCloseTo(0.8, 12);
  });

  it('stays within [0, sum of weights] for any fitting placement', () => {
    const w = fc.double({ min: 0, max: 10, noNaN: true });
    fc.assert(
      fc.property(
        w,
        w,
        w,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        (wp, wc, wm, p, uc, um) => {
          fc.pre(wp + wc + wm > 0);
          const score = scorePlacement(target('t', res(64, 64), res(uc, um)), res(0, 0), p, { priority: wp, freeCpu: wc, freeMemory: wm });
          expect(typeof score).toBe('number');
          expect(score as number).toBeGreaterThanOrEqual(0);
          expect(score as number).toBeLessThanOrEqual(wp + wc + wm + 1e-12);
        },
      ),
    );
  });

  it.each<[string, () => unknown, new (...a: never[]) => Error, string]>([
    [
      'NaN priority',
      () => scorePlacement(target('t', res(8, 8), res(0, 0)), res(1, 1), Number.NaN),
      InvalidPlacementInputError,
      'placement priority01: expected a number between 0 and 1, got NaN',
    ],
    [
      'priority above 1',
      () => scorePlacement(target('t', res(8, 8), res(0, 0)), res(1, 1), 90),
      InvalidPlacementInputError,
      'placement priority01: expected a number between 0 and 1, got 90',
    ],
    [
      'NaN demand',
      () => scorePlacement(target('t', res(8, 8), res(0, 0)), res(Number.NaN, 1), 0.5),
      InvalidResourcesError,
      'placement demand: vcpu must be a finite number ≥ 0 (got NaN)',
    ],
    [
      'negative used',
      () => scorePlacement(target('t', res(8, 8), res(0, -1)), res(1, 1), 0.5),
      InvalidResourcesError,
      'placement target used: memoryGiB must be a finite number ≥ 0 (got -1)',
    ],
    [
      'negative weight',
      () => scorePlacement(target('t', res(8, 8), res(0, 0)), res(1, 1), 0.5, { priority: -1, freeCpu: 1, freeMemory: 1 }),
      ValidationError,
      'invalid placement weights: priority',
    ],
    [
      'all-zero weights',
      () => parsePlacementWeights({ priority: 0, freeCpu: 0, freeMemory: 0 }),
      ValidationError,
      'at least one weight must be greater than 0',
    ],
    ['unknown weight key', () => parsePlacementWeights({ priority: 0.5, freeCpu: 0.3, freeMem: 0.2 }), ValidationError, 'invalid placement weights'],
    ['NaN weight', () => parsePlacementWeights({ priority: Number.NaN, freeCpu: 0.3, freeMemory: 0.2 }), ValidationError, 'priority'],
  ])('rejects %s with a typed error naming it', (_name, call, type, message) => {
    expect(call).toThrowError(type);
    expect(call).toThrowError(message);
  });
});

describe('choosePlacement', () => {
  it.each<[string, PlacementTarget[], Resources, string | undefined]>([
    ['prefers the emptier target', [target('busy', res(16, 16), res(12, 12)), target('idle', res(16, 16), res(2, 2))], res(2, 2), 'idle'],
    ['skips targets without room', [target('small', res(2, 2), res(0, 0)), target('big', res(64, 64), res(60, 60))], res(3, 3), 'big'],
    ['none fits → undefined (scale out or defer)', [target('a', res(2, 2), res(1, 1))], res(3, 3), undefined],
    ['no targets → undefined', [], res(1, 1), undefined],
    ['ties go to the first target, as in the seed', [target('first', res(8, 8), res(4, 4)), target('second', res(16, 16), res(8, 8))], res(1, 1), 'first'],
  ])('%s', (_name, targets, demand, expected) => {
    expect(choosePlacement(targets, demand, 0.5)?.id).toBe(expected);
  });

  it('names the target whose numbers are bad, and rejects duplicate ids', () => {
    expect(() => choosePlacement([target('a', res(8, 8), res(0, 0)), target('b', res(8, Number.NaN), res(0, 0))], res(1, 1), 0.5)).toThrowError(
      'placement target b capacity: memoryGiB must be a finite number ≥ 0 (got NaN)',
    );
    expect(() => choosePlacement([target('a', res(8, 8), res(0, 0)), target('a', res(8, 8), res(0, 0))], res(1, 1), 0.5)).toThrowError(
      'placement targets[1].id: expected an id not used by another target, got "a"',
    );
  });

  it('returns the maximum score among fitting targets', () => {
    const t = fc.record({ cap: fc.integer({ min: 1, max: 64 }), used: fc.integer({ min: 0, max: 64 }) });
    fc.assert(
      fc.property(fc.array(t, { maxLength: 8 }), fc.integer({ min: 0, max: 16 }), (specs, need) => {
        const targets = specs.map((s, i) => target(`t${i}`, res(s.cap, s.cap), res(Math.min(s.used, s.cap), 0)));
        const chosen = choosePlacement(targets, res(need, need), 0.5);
        const scores = targets.map((x) => scorePlacement(x, res(need, need), 0.5)).filter((s): s is number => s !== 'does-not-fit');
        if (scores.length === 0) expect(chosen).toBeUndefined();
        else expect(chosen?.score).toBe(Math.max(...scores));
      }),
    );
  });
});

it('default weights are the seed weights', () => {
  expect(DEFAULT_PLACEMENT_WEIGHTS).toEqual({ priority: 0.5, freeCpu: 0.3, freeMemory: 0.2 });
});
