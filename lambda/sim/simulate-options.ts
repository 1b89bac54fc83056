import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { STRATEGY_NAMES, type StrategyName } from './strategies/strategy-names';

/** Raw `spotwise simulate` options as commander hands them over (strings, or undefined when not given). */
export interface RawSimulateOptions {
  readonly seed?: string;
  readonly hours?: string;
  readonly instances?: string;
  readonly data?: string;
  readonly strategy?: string;
  readonly out?: string;
  readonly json?: string;
  readonly interruptionScale?: string;
  readonly rebalanceShare?: string;
  readonly progress?: boolean;
}

export interface SimulateOptions {
  readonly seed: number;
  readonly hours: number;
  readonly instances: number;
  readonly dataDir?: string;
  readonly strategies: readonly StrategyName[];
  readonly outDir: string;
  readonly jsonFile?: string;
  readonly interruptionScale: number;
  readonly rebalanceShare: number;
  readonly progress: boolean;
}

export const SIMULATE_DEFAULTS = { seed: 1, hours: 48, instances: 40, outDir: 'out/simulation', interruptionScale: 50, rebalanceShare: 0.5 } as const;

/** A bad option: the message names the flag and the value given. */
export class SimulateOptionError extends Error {
  override readonly name = 'SimulateOptionError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${option}: ${expected} (got ${JSON.stringify(value)})`);
  }
}

const numberText = (expected: string, check: (n: number) => boolean) =>
  z.string().refine((s) => s.trim() !== '' && Number.isFinite(Number(s)) && check(Number(s)), expected).transform(Number);

/** Field → (flag, schema). Limits keep a run within what a laptop does in minutes. */
const FIELDS = {
  seed: { flag: '--seed', schema: numberText('expected an integer between 0 and 4294967295', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff) },
  hours: { flag: '--hours', schema: numberText('expected a number of hours greater than 0 and at most 336 (two weeks)', (n) => n > 0 && n <= 336) },
  instances: { flag: '--instances', schema: numberText('expected an integer number of Spot instances between 2 and 500', (n) => Number.isInteger(n) && n >= 2 && n <= 500) },
  interruptionScale: { flag: '--interruption-scale', schema: numberText('expected a number ≥ 0 (1 = the Spot Advisor rates, 50 = default time compression)', (n) => n >= 0 && n <= 10_000) },
  rebalanceShare: { flag: '--rebalance-share', schema: numberText('expected a share between 0 and 1 of bursts whose rebalance recommendation comes early', (n) => n >= 0 && n <= 1) },
} as const;

const parseField = <K extends keyof typeof FIELDS>(key: K, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const r = FIELDS[key].schema.safeParse(raw);
  if (!r.success) throw new SimulateOptionError(FIELDS[key].flag, raw, r.error.issues[0]?.message ?? 'invalid value');
  return r.data;
};

/** Validates the raw options (every error names the option and its value). */
export const parseSimulateOptions = (raw: RawSimulateOptions): SimulateOptions => {
  const seed = parseField('seed', raw.seed, SIMULATE_DEFAULTS.seed);
  const hours = parseField('hours', raw.hours, SIMULATE_DEFAULTS.hours);
  const instances = parseField('instances', raw.instances, SIMULATE_DEFAULTS.instances);
  const interruptionScale = parseField('interruptionScale', raw.interruptionScale, SIMULATE_DEFAULTS.interruptionScale);
  const rebalanceShare = parseField('rebalanceShare', raw.rebalanceShare, SIMULATE_DEFAULTS.rebalanceShare);
  let strategies: StrategyName[] = [...STRATEGY_NAMES];
  if (raw.strategy !== undefined && raw.strategy.trim() !== 'all') {
    const names = raw.strategy.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = names.filter((n) => !(STRATEGY_NAMES as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      throw new SimulateOptionError('--strategy', raw.strategy, `expected "all" or a comma-separated list of ${STRATEGY_NAMES.join(', ')}`);
    }
    strategies = STRATEGY_NAMES.filter((n) => names.includes(n));
  }
  if (raw.data !== undefined && !(existsSync(raw.data) && statSync(raw.data).isDirectory())) {
    throw new SimulateOptionError('--data', raw.data, 'expected a folder in the layout of ../shared/data (it does not exist or is not a folder)');
  }
  if (raw.out !== undefined && raw.out.trim() === '') throw new SimulateOptionError('--out', raw.out, 'expected a folder path');
  if (raw.out !== undefined && existsSync(raw.out) && !statSync(raw.out).isDirectory()) throw new SimulateOptionError('--out', raw.out, 'expected a folder, but it is a file');
  if (raw.json !== undefined && (raw.json.trim() === '' || (existsSync(raw.json) && statSync(raw.json).isDirectory()))) {
    throw new SimulateOptionError('--json', raw.json, 'expected a file path (not a folder)');
  }
  return {
    seed, hours, instances, strategies, interruptionScale, rebalanceShare,
    outDir: raw.out ?? SIMULATE_DEFAULTS.outDir,
    progress: raw.progress !== false,
    ...(raw.data !== undefined ? { dataDir: raw.data } : {}),
    ...(raw.json !== undefined ? { jsonFile: raw.json } : {}),
  };
};
