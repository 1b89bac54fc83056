import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTraceFile, loadTraces, loadTracesWithReport, TraceFormatError } from '../../../lambda/data/traces/load-traces';
import { TRACE_FIELDS } from '../../../lambda/data/traces/trace-series';

/** Writes a data folder: { "dataset/sub/file.csv": "text" }. */
const makeDataDir = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), 'spotwise-traces-'));
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
};

const BB_HEADER = 'timestamp_s,cpu_cores,cpu_capacity_mhz,cpu_usage_mhz,cpu_usage_pct,mem_capacity_kb,mem_usage_kb,disk_read_kbps,disk_write_kbps,net_rx_kbps,net_tx_kbps';
const bbRow = (t: number, cpu: string, memKb: string, extra = '16,16,500,500') => `${t},2,5000,100,${cpu},4194304,${memKb},${extra}`;

describe('loadTraces: formats and units', () => {
  it('reads Bitbrains rows into spotwise units', () => {
    const dir = makeDataDir({
      'bb/series/vm001.csv': [BB_HEADER, bbRow(1000, '12.5', '1048576'), bbRow(1300, '20', '2097152')].join('\n'),
    });
    const [s] = loadTraces(dir);
    expect(s).toMatchObject({ id: 'bb/vm001', dataset: 'bb', stepSeconds: 300, vcpus: 2, memoryGiB: 4, skippedRows: 0 });
    expect(s!.points[0]).toEqual({
      at: 1_000_000,
      cpuPercent: 12.5,
      memoryGiB: 1,
      memoryPercent: 25,
      // (500 + 500) KiB/s × 1024 B × 8 bit / 1e6 = 8.192 Mbps
      networkMbps: 8.192,
      // (16 + 16) KiB/s / 16 KiB per op = 2 IOPS
      diskIops: 2,
    });
  });

  it('clamps Bitbrains active memory to the provisioned memory (a power-on estimate above it), not CPU above 100 %', () => {
    const dir = makeDataDir({
      // 4 GiB provisioned; the first row reports 12 GiB active, the second 1 GiB; CPU at 130 % of its MHz.
      'bb/series/vm001.csv': [BB_HEADER, bbRow(1000, '130', '12582912'), bbRow(1300, '20', '1048576')].join('\n'),
    });
    const [s] = loadTraces(dir);
    expect(s!.points.map((p) => [p.memoryGiB, p.memoryPercent, p.cpuPercent])).toEqual([
      [4, 100, 130],
      [1, 25, 20],
    ]);
  });

  it("starts a Bitbrains VM's life at its first powered-on row (no cores and no memory provisioned before it)", () => {
    const off = (t: number) => `${t},0,0,0,0,0,0,0,0,0,0`;
    const dir = makeDataDir({
      'bb/series_index.csv':
        'series_file,original_file,group,rows,first_timestamp_s,last_timestamp_s\nseries/vm001.csv,x,full-month,6,100000,101500\nseries/vm002.csv,x,full-month,4,100000,100900\n',
      // Indexed as present from the start, powered on 2 h later: a start mid-trace. A powered-off row later is kept.
      'bb/series/vm001.csv': [BB_HEADER, off(100000), off(100300), bbRow(107200, '50', '2097152'), off(107500), bbRow(107800, '5', '1048576')].join('\n'),
      // Powered on 10 minutes in: its rows start there, and it is not a late start.
      'bb/series/vm002.csv': [BB_HEADER, off(100000), off(100300), bbRow(100600, '5', '1048576'), bbRow(100900, '5', '1048576')].join('\n'),
      'bb/series/vm003.csv': [BB_HEADER, off(100000), off(100300)].join('\n'),
    });
    const report = loadTracesWithReport(dir);
    const byId = new Map(report.series.map((s) => [s.id, s]));
    expect(byId.get('bb/vm001')).toMatchObject({ poweredOffRows: 2, lateStart: true });
    expect(byId.get('bb/vm001')!.points.map((p) => [p.at, p.cpuPercent])).toEqual([
      [107_200_000, 50],
      [107_500_000, 0],
      [107_800_000, 5],
    ]);
    expect(byId.get('bb/vm002')).toMatchObject({ poweredOffRows: 2, lateStart: false });
    expect(byId.get('bb/vm002')!.points[0]!.at).toBe(100_600_000);
    expect(report.skippedSeries).toEqual([{ file: join(dir, 'bb/series/vm003.csv'), reason: 'never powered on (all 2 rows have 0 cores and 0 memory provisioned)' }]);
  });

  it('reads Azure avg/max CPU with 5-minute steps from a step index', () => {
    const dir = makeDataDir({ 'az/series/vm_1.csv': 'step_5min,avg_cpu_pct,max_cpu_pct\n0,5,9\n1,6,10\n2,7,11\n' });
    const [s] = loadTraces(dir);
    expect(s!.points.map((p) => p.at)).toEqual([0, 300_000, 600_000]);
    expect(s!.points[2]).toEqual({ at: 600_000, cpuPercent: 7, cpuMaxPercent: 11 });
    expect(s!.lateStart).toBeUndefined();
  });

  it('converts NAB NetworkIn bytes per 5-minute period to Mbps, reads NAB times as UTC', () => {
    const dir = makeDataDir({
      'nab/series/ec2_network_in_abc.csv': 'timestamp,value\n2014-03-01 17:36:00,37500000\n2014-03-01 17:41:00,75000000\n',
    });
    const [s] = loadTraces(dir);
    expect(s!.points[0]!.at).toBe(Date.UTC(2014, 2, 1, 17, 36, 0));
    // 37.5 MB / 300 s = 125,000 B/s = 1 Mbps
    expect(s!.points[0]!.networkMbps).toBeCloseTo(1, 12);
    expect(s!.points[1]!.networkMbps).toBeCloseTo(2, 12);
  });

  it('skips NAB series that are not resource demand, saying why', () => {
    const dir = makeDataDir({
      'nab/series/elb_request_count_1.csv': 'timestamp,value\n2014-04-10 00:04:00,5\n2014-04-10 00:09:00,6\n',
      'nab/series/ec2_cpu_utilization_1.csv': 'timestamp,value\n2014-04-10 00:04:00,5\n2014-04-10 00:09:00,6\n',
    });
    const report = loadTracesWithReport(dir);
    expect(report.series.map((s) => s.id)).toEqual(['nab/ec2_cpu_utilization_1']);
    expect(report.skippedSeries).toHaveLength(1);
    expect(report.skippedSeries[0]!.reason).toContain('elb_request_count_1');
  });

  it('reads Alibaba machines: cpu count from machine_meta, out-of-range percentages as missing', () => {
    const dir = makeDataDir({
      'ali/machine_meta.csv': 'machine_id,time_stamp,failure_domain_1,failure_domain_2,cpu_num,mem_size,status\nm_1,0,1,1,64,100,USING\nm_1,500,1,1,96,100,USING\n',
      'ali/machine_usage/m_1.csv':
        'machine_id,time_stamp,cpu_util_percent,mem_util_percent,mem_gps,mkpi,net_in,net_out,disk_io_percent\n' +
        'm_1,0,30,80,,,10,10,3\nm_1,60,101,-1,,,10,10,101\nm_1,120,31,81,,,10,10,3\n',
    });
    const [s] = loadTraces(dir);
    expect(s!.vcpus).toBe(96);
    expect(s!.stepSeconds).toBe(60);
    expect(s!.points[1]).toEqual({ at: 60_000 });
    expect(s!.points[2]).toEqual({ at: 120_000, cpuPercent: 31, memoryPercent: 81 });
  });
});

describe('loadTraces: robustness', () => {
  it('skips and counts bad rows; keeps NaN and empty values missing, never 0', () => {
    const dir = makeDataDir({
      'az/series/vm_2.csv': [
        'step_5min,avg_cpu_pct,max_cpu_pct',
        '0,5,9',
        '1,NaN,10', // NaN → missing
        '2,,', // empty → missing
        '3,4', // wrong field count → skipped
        'x,4,5', // unreadable time → skipped
        '4,8,12',
        '4,9,13', // duplicate time → the later row wins, one skipped
      ].join('\n'),
    });
    const report = loadTracesWithReport(dir);
    const s = report.series[0]!;
    expect(s.skippedRows).toBe(3);
    expect(report.skippedRows).toBe(3);
    expect(s.points).toEqual([
      { at: 0, cpuPercent: 5, cpuMaxPercent: 9 },
      { at: 300_000, cpuMaxPercent: 10 },
      { at: 600_000 },
      { at: 1_200_000, cpuPercent: 9, cpuMaxPercent: 13 },
    ]);
  });

  it('throws a TraceFormatError naming the file on an unknown header', () => {
    const dir = makeDataDir({ 'x/series/odd.csv': 'when,how_much\n1,2\n' });
    expect(() => loadTraces(dir)).toThrow(TraceFormatError);
    expect(() => loadTraces(dir)).toThrow(/odd\.csv: header "when,how_much" matches no known trace format/);
  });

  it('throws naming the folder when --data does not exist, and naming an unknown dataset', () => {
    expect(() => loadTraces('/nonexistent/spotwise-data')).toThrow(/\/nonexistent\/spotwise-data: data folder does not exist/);
    const dir = makeDataDir({ 'az/series/vm_1.csv': 'step_5min,avg_cpu_pct,max_cpu_pct\n0,1,2\n1,1,2\n' });
    expect(() => loadTraces(dir, { datasets: ['nope'] })).toThrow(/unknown dataset "nope" \(folders with series here: az\)/);
  });

  it('skips series with fewer than two valid rows', () => {
    const dir = makeDataDir({ 'az/series/vm_1.csv': 'step_5min,avg_cpu_pct,max_cpu_pct\n0,1,2\n' });
    const report = loadTracesWithReport(dir);
    expect(report.series).toEqual([]);
    expect(report.skippedSeries[0]!.reason).toMatch(/fewer than 2 valid rows/);
  });

  it('property: points are strictly ascending, one per distinct valid time, and only finite fields are present', () => {
    const cell = fc.oneof(fc.constant(''), fc.constant('NaN'), fc.constant('abc'), fc.double({ min: -10, max: 150, noNaN: true }).map((v) => String(v)));
    const row = fc.tuple(fc.integer({ min: 0, max: 50 }), cell, cell);
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 40 }), (rows) => {
        const distinct = new Set(rows.map((r) => r[0]));
        fc.pre(distinct.size >= 2);
        const dir = makeDataDir({ 'az/series/vm.csv': ['step_5min,avg_cpu_pct,max_cpu_pct', ...rows.map((r) => r.join(','))].join('\n') });
        const s = loadTraces(dir)[0]!;
        expect(s.points.length).toBe(distinct.size);
        expect(s.skippedRows).toBe(rows.length - distinct.size);
        for (let i = 1; i < s.points.length; i++) expect(s.points[i]!.at).toBeGreaterThan(s.points[i - 1]!.at);
        for (const p of s.points) {
          for (const f of TRACE_FIELDS) {
            const v = p[f];
            if (v !== undefined) expect(Number.isFinite(v) && v >= 0 && v <= 100).toBe(true);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('loadTraces: folders, index and held-out files', () => {
  const files = {
    'bb/series_index.csv':
      'series_file,original_file,group,rows,first_timestamp_s,last_timestamp_s\nseries/vm001.csv,x,full-month,2,100000,100300\nseries/vm002.csv,x,late-start,2,100000,100300\n',
    // Listed as late-start although its data starts with the month: the index wins.
    'bb/series/vm002.csv': [BB_HEADER, bbRow(100000, '1', '10'), bbRow(100300, '1', '10')].join('\n'),
    'bb/series/vm001.csv': [BB_HEADER, bbRow(100000, '1', '10'), bbRow(100300, '1', '10')].join('\n'),
    // Not in the index (held out): late start inferred from the folder's earliest first time + 1 h.
    'bb/series/vm900.csv': [BB_HEADER, bbRow(110000, '1', '10'), bbRow(110300, '1', '10')].join('\n'),
    'bb/series/vm901.csv': [BB_HEADER, bbRow(101000, '1', '10'), bbRow(101300, '1', '10')].join('\n'),
    'az/series/vm_1.csv': 'step_5min,avg_cpu_pct,max_cpu_pct\n0,1,2\n1,1,2\n',
    'events/index.csv': 'a,b\n1,2\n',
    'events/events/x.json': '{}',
  };

  it('knows only folders holding series as datasets, sorted (an unknown one is refused with the list)', () => {
    expect(() => loadTraces(makeDataDir(files), { datasets: ['events'] })).toThrowError('unknown dataset "events" (folders with series here: az, bb)');
  });

  it('reads files not listed in the index and infers their late start', () => {
    const byId = new Map(loadTraces(makeDataDir(files)).map((s) => [s.id, s]));
    expect(byId.get('bb/vm001')!.lateStart).toBe(false);
    expect(byId.get('bb/vm002')!.lateStart).toBe(true);
    expect(byId.get('bb/vm900')!.lateStart).toBe(true);
    expect(byId.get('bb/vm901')!.lateStart).toBe(false);
  });

  it('filters by dataset and caps the number of series in a stable order', () => {
    const dir = makeDataDir(files);
    expect(loadTraces(dir, { datasets: ['az'] }).map((s) => s.id)).toEqual(['az/vm_1']);
    expect(loadTraces(dir, { maxSeries: 2 }).map((s) => s.id)).toEqual(['az/vm_1', 'bb/vm001']);
  });

  it('accepts a single dataset folder as --data', () => {
    const dir = makeDataDir(files);
    expect(loadTraces(join(dir, 'az')).map((s) => s.id)).toEqual(['az/vm_1']);
  });

  it('loadTraceFile reads one file without a folder', () => {
    const dir = makeDataDir(files);
    const loaded = loadTraceFile(join(dir, 'az/series/vm_1.csv'), 'az');
    expect(loaded.kind).toBe('series');
  });
});

const SHARED_DATA = join(import.meta.dirname, '../../../../shared/data');
// A lone clone has no ../shared: the tests over it are skipped, and the run says so.
if (!existsSync(SHARED_DATA)) console.warn(`${SHARED_DATA} not found (no ../shared beside this repository): 'loadTraces on ../shared/data' skipped; the tests above run on bundled data`);
describe.skipIf(!existsSync(SHARED_DATA))('loadTraces on ../shared/data', () => {
  it('reads the NAB folder: CPU, network and disk series, every series ascending', () => {
    const report = loadTracesWithReport(SHARED_DATA, { datasets: ['nab-aws-cloudwatch'] });
    expect(report.series.length).toBeGreaterThanOrEqual(8);
    expect(report.skippedSeries.every((s) => /is not CPU, network or disk demand/.test(s.reason))).toBe(true);
    for (const s of report.series) {
      expect(s.stepSeconds).toBe(300);
      for (let i = 1; i < s.points.length; i++) expect(s.points[i]!.at).toBeGreaterThan(s.points[i - 1]!.at);
    }
  });
});
