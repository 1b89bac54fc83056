import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupId } from '../../lambda/core/domain';
import { DEFAULT_REQUEST_PARAMS, drawPriorityRequests } from '../../lambda/sim/priority-requests';
import { createRandom } from '../../lambda/data/random';

const targets = [
  { groupId: groupId('web'), maxPriority: 90 },
  { groupId: groupId('batch'), maxPriority: 50 },
];
const window = { start: 0, end: 48 * 3_600_000 };

describe('drawPriorityRequests', () => {
  it('draws waves of 1..3 requests with a window and unique ids, deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (seed) => {
        const a = drawPriorityRequests(targets, window, DEFAULT_REQUEST_PARAMS, createRandom(seed));
        expect(drawPriorityRequests(targets, window, DEFAULT_REQUEST_PARAMS, createRandom(seed))).toEqual(a);
        expect(new Set(a.map((r) => r.requestId)).size).toBe(a.length);
        for (const r of a) {
          expect(r.notBefore).toBeGreaterThanOrEqual(window.start);
          expect(r.notBefore).toBeLessThan(window.end);
          expect(r.deadline - r.notBefore).toBe(DEFAULT_REQUEST_PARAMS.deadlineMinutes * 60_000);
          expect(r.selector.kind).toBe('group');
          expect(r.mode).toBe('terminate');
        }
        // Waves are keyed by their id, not their time: two waves of one group may start in the same second.
        const waves = new Map<string, number>();
        for (const r of a) {
          const wave = r.requestId.replace(/-\d+$/, '');
          waves.set(wave, (waves.get(wave) ?? 0) + 1);
          expect(a.filter((o) => o.requestId.startsWith(`${wave}-`)).every((o) => o.notBefore === r.notBefore)).toBe(true);
        }
        for (const n of waves.values()) expect(n).toBeLessThanOrEqual(DEFAULT_REQUEST_PARAMS.waveSize.max);
      }),
      { numRuns: 40, examples: [[40480]] },
    );
  });

  it('draws nothing when disabled, and refuses a bad wave size naming it', () => {
    expect(drawPriorityRequests(targets, window, { ...DEFAULT_REQUEST_PARAMS, meanHoursBetweenWaves: 0 }, createRandom(1))).toEqual([]);
    expect(() => drawPriorityRequests(targets, window, { ...DEFAULT_REQUEST_PARAMS, waveSize: { min: 0, max: 2 } }, createRandom(1))).toThrow(
      /waveSize must be integers 1 ≤ min ≤ max/,
    );
  });
});
