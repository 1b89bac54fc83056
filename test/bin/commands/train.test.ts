import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { runTrain } from '../../../bin/commands/train';
import type { LearnedCycle } from '../../../lambda/core/domain';
import { rowlessCycles } from '../../fixtures/learned-cycles';
import { InMemoryModelStore } from '../../../lambda/sim/memory/in-memory-model-store';
import { InMemoryStateStore } from '../../../lambda/sim/memory/in-memory-state-store';

let out: MockInstance;
let err: MockInstance;
beforeEach(() => {
  out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

const printed = (): string => out.mock.calls.map((c) => String(c[0])).join('\n');

const stores = async (stored: LearnedCycle[]) => {
  const state = new InMemoryStateStore();
  await state.putCycles(stored);
  return { cycles: state, models: new InMemoryModelStore() };
};

describe('spotwise train --from-table', () => {
  it('refuses to run without groups, or with a share outside (0, 1), naming the flag and the value (exit 2, nothing read)', async () => {
    const deps = await stores([]);
    expect(await runTrain({ fromTable: 'spotwise-state' }, deps)).toBe(2);
    expect(err.mock.calls[0]?.[0]).toBe('spotwise train: --groups: name the managed groups whose cycles to learn from, comma-separated (got nothing)');
    expect(await runTrain({ fromTable: 'spotwise-state', groups: 'web', heldBack: '1.5' }, deps)).toBe(2);
    expect(err.mock.calls[1]?.[0]).toBe('spotwise train: --held-back: expected a share within (0, 1) like 0.25 (got "1.5")');
    expect(await runTrain({ groups: 'web' }, deps)).toBe(2);
    expect(String(err.mock.calls[2]?.[0])).toContain('--from-table');
  });

  it('says why nothing was trained, and writes nothing to the table without --save', async () => {
    const deps = await stores(rowlessCycles(5));
    expect(await runTrain({ fromTable: 'spotwise-state', groups: 'web' }, deps)).toBe(0);
    expect(printed()).toContain('outcome: skipped — 5 stored restart cycle(s) across 1 group(s); retraining needs 40');
    expect(printed()).toContain('nothing written to the table (--save not given)');
    expect(await deps.models.listRetrainingRecords(5)).toEqual([]);
  });

  it('with --save records the run; with --out writes the forecasting model as an artifact; --json prints the record', async () => {
    const deps = await stores(rowlessCycles(5));
    const dir = join(mkdtempSync(join(tmpdir(), 'spotwise-train-')), 'model');
    expect(await runTrain({ fromTable: 'spotwise-state', groups: 'web', save: true, out: dir, json: true, minCycles: '3' }, deps)).toBe(0);
    const record = JSON.parse(printed()) as { outcome: string; saved: boolean; wrote: string };
    expect(record).toMatchObject({ outcome: 'skipped', saved: true, wrote: dir });
    expect((await deps.models.listRetrainingRecords(5)).map((r) => r.outcome)).toEqual(['skipped']);
    for (const f of ['model.json', 'weights.bin', 'metadata.json']) expect(existsSync(join(dir, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'))).toMatchObject({ name: 'post-restart-demand' });
  });
});
