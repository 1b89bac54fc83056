import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InterruptionFileError, parseInterruptionCsv, readInterruptionFile } from '../../../lambda/sim/runs/interruption-file';

const HORIZON = 48 * 3600;

describe('parseInterruptionCsv', () => {
  it('reads rows with their line numbers, skipping blank and # lines', () => {
    const text = '# a replayed Monday\ntime,pool,fraction\n600,us-east-1a/m5.large,0.5\n\n# then another pool\n7200.5, batch-pool ,1\r\n';
    expect(parseInterruptionCsv(text, HORIZON)).toEqual([
      { line: 3, timeSeconds: 600, pool: 'us-east-1a/m5.large', fraction: 0.5 },
      { line: 6, timeSeconds: 7200.5, pool: 'batch-pool', fraction: 1 },
    ]);
  });

  it('takes the columns in any order the header gives', () => {
    expect(parseInterruptionCsv('pool,fraction,time\np,0.25,60\n', HORIZON)).toEqual([{ line: 2, timeSeconds: 60, pool: 'p', fraction: 0.25 }]);
  });

  it('accepts a header with no rows (a run without interruptions)', () => {
    expect(parseInterruptionCsv('time,pool,fraction\n', HORIZON)).toEqual([]);
  });

  it.each([
    ['', 1, 'header', 'the file is empty'],
    ['when,pool,fraction\n1,p,1\n', 1, 'header', 'expected the header time,pool,fraction'],
    ['time,pool\n1,p\n', 1, 'header', 'expected the header time,pool,fraction'],
    ['time,pool,fraction\n1,p\n', 2, 'row', 'expected 3 fields'],
    ['time,pool,fraction\n1,p,1,extra\n', 2, 'row', 'expected 3 fields'],
    ['time,pool,fraction\n60,p,0.5\nabc,p,0.5\n', 3, 'time', 'a number ≥ 0 (got "abc")'],
    ['time,pool,fraction\n-1,p,0.5\n', 2, 'time', '(got "-1")'],
    ['time,pool,fraction\n,p,0.5\n', 2, 'time', '(got "")'],
    ['time,pool,fraction\n172800,p,0.5\n', 2, 'time', 'before the end of the run (172800 s'],
    ['time,pool,fraction\n60, ,0.5\n', 2, 'pool', 'expected a pool label'],
    ['time,pool,fraction\n60,p,0\n', 2, 'fraction', 'a number in (0, 1] (got "0")'],
    ['time,pool,fraction\n60,p,1.5\n', 2, 'fraction', '(got "1.5")'],
    ['time,pool,fraction\n60,p,half\n', 2, 'fraction', '(got "half")'],
    ['time,pool,fraction\n60,p,NaN\n', 2, 'fraction', '(got "NaN")'],
  ])('refuses %j at line %i, field %s', (text, line, field, message) => {
    let error: unknown;
    try {
      parseInterruptionCsv(text, HORIZON);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InterruptionFileError);
    expect(error).toMatchObject({ line, field });
    expect((error as Error).message).toContain(`line ${line}, ${field}: `);
    expect((error as Error).message).toContain(message);
  });

  it('reads back any valid rows written out', () => {
    const row = fc.record({
      timeSeconds: fc.integer({ min: 0, max: HORIZON - 1 }),
      pool: fc.stringMatching(/^[a-z0-9./-]{1,12}$/),
      fraction: fc.double({ min: 0.001, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const text = ['time,pool,fraction', ...rows.map((r) => `${r.timeSeconds},${r.pool},${r.fraction}`)].join('\n');
        expect(parseInterruptionCsv(text, HORIZON)).toEqual(rows.map((r, i) => ({ line: i + 2, ...r })));
      }),
    );
  });
});

describe('readInterruptionFile', () => {
  it('reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spotwise-int-'));
    const file = join(dir, 'i.csv');
    writeFileSync(file, 'time,pool,fraction\n60,a,1\n');
    expect(readInterruptionFile(file, HORIZON)).toHaveLength(1);
  });

  it('names a file it cannot read', () => {
    expect(() => readInterruptionFile('/nonexistent/i.csv', HORIZON)).toThrow('file: cannot read it (ENOENT) (got "/nonexistent/i.csv")');
  });
});
