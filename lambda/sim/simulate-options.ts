import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as z from 'zod';
import type { SpotwiseConfig } from '../contracts/config';
import type { ReplayedInterruption } from './interruption-model';
import { InterruptionFileError, readInterruptionFile } from './runs/interruption-file';
import { parseSeedList, SeedListError } from './runs/seed-list';
import { isKnobStrategy, KNOB_STRATEGY_NAMES, STRATEGY_NAMES, type StrategyName } from './strategies/strategy-names';
import { DEFAULT_MONITORING, MONITORING_MODES, type MonitoringMode } from './engine/sim-types';

/** Raw `spotwise simulate` options as commander hands them over (strings, or undefined when not given). */
export interface RawSimulateOptions {
  readonly seed?: string;
  readonly seeds?: string;
  readonly hours?: string;
  readonly instances?: string;
  readonly data?: string;
  readonly strategy?: string;
  readonly out?: string;
  readonly json?: string;
  readonly interruptionScale?: string;
  readonly rebalanceShare?: string;
  readonly lostRecommendations?: string;
  readonly postRestartCpu?: string;
  readonly postRestartMemory?: string;
  readonly capacityReservationReclaims?: string;
  readonly scheduledMaintenance?: string;
  readonly bestEffortShare?: string;
  readonly poolBudget?: string;
  readonly targetedRequests?: string;
  readonly interruptions?: string;
  readonly config?: string;
  readonly sweep?: boolean;
  readonly monitoring?: string;
  readonly workers?: string;
  readonly progress?: boolean;
}

export interface SimulateOptions {
  /** The seeds to run (one with --seed or by default). */
  readonly seeds: readonly number[];
  /** One seed given as --seed (or by default): the JSON keeps the single-seed shape. */
  readonly singleSeed: boolean;
  readonly hours: number;
  readonly instances: number;
  readonly dataDir?: string;
  readonly strategies: readonly StrategyName[];
  readonly outDir: string;
  readonly jsonFile?: string;
  readonly interruptionScale: number;
  readonly rebalanceShare: number;
  /** Share of rebalance recommendations EventBridge does not deliver (InterruptionModelParams.lostRecommendationShare). */
  readonly lostRecommendations: number;
  /** The simulated workloads' post-restart peaks (first-minute multipliers); absent: the model's. */
  readonly postRestartPeaks: { readonly cpu?: number; readonly memory?: number };
  /** Capacity Reservation reclaims and AWS Health scheduled changes over each run. */
  readonly otherSignals: { readonly capacityReservationReclaims: number; readonly scheduledMaintenance: number };
  /** Mixed priorities within groups (--best-effort-share, --targeted-requests); both 0 by default. */
  readonly priorities: { readonly bestEffortShare: number; readonly targetedShare: number };
  /** Each primary pool's budget as a share of the capacity its fleet was sized from (--pool-budget, default 1). */
  readonly poolBudget: number;
  readonly sweep: boolean;
  /** `--monitoring`: how spotwise's instances report their metrics (WorldParams.monitoring). */
  readonly monitoring: MonitoringMode;
  readonly workers: number;
  readonly progress: boolean;
  /** --interruptions: the file and its rows. */
  readonly interruptionsFile?: string;
  readonly replayedInterruptions?: readonly ReplayedInterruption[];
  /** --config: the file and the configuration read from it. */
  readonly configFile?: string;
  readonly fleetConfig?: SpotwiseConfig;
}

export const SIMULATE_DEFAULTS = {
  seed: 1,
  hours: 48,
  instances: 40,
  outDir: 'out/simulation',
  interruptionScale: 50,
  rebalanceShare: 0.5,
  lostRecommendations: 0,
} as const;
/** More worker threads than this only adds memory (each holds a copy of the traces and the model). */
export const MAX_WORKERS = 32;

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

/** What reading `--config` needs: the configuration parser (the CLI passes the project's YAML reader). */
export interface SimulateOptionDeps {
  /** Reads and validates a spotwise configuration file; throws an Error that names the field (and line) on bad input. */
  readonly readConfig?: (file: string) => SpotwiseConfig;
  /** Checks that the simulator can build a fleet from the configuration; throws an Error naming the field. */
  readonly checkConfigFleet?: (config: SpotwiseConfig) => void;
}

const numberText = (expected: string, check: (n: number) => boolean) =>
  z
    .string()
    .refine((s) => s.trim() !== '' && Number.isFinite(Number(s)) && check(Number(s)), expected)
    .transform(Number);

/** Field → (flag, schema). Limits keep a run within what a laptop does in minutes. */
const FIELDS = {
  seed: { flag: '--seed', schema: numberText('expected an integer between 0 and 4294967295', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff) },
  hours: { flag: '--hours', schema: numberText('expected a number of hours greater than 0 and at most 336 (two weeks)', (n) => n > 0 && n <= 336) },
  instances: {
    flag: '--instances',
    schema: numberText('expected an integer number of Spot instances between 2 and 500', (n) => Number.isInteger(n) && n >= 2 && n <= 500),
  },
  interruptionScale: {
    flag: '--interruption-scale',
    schema: numberText('expected a number ≥ 0 (1 = the Spot Advisor rates, 50 = default time compression)', (n) => n >= 0 && n <= 10_000),
  },
  rebalanceShare: {
    flag: '--rebalance-share',
    schema: numberText('expected a share between 0 and 1 of bursts whose rebalance recommendation comes early', (n) => n >= 0 && n <= 1),
  },
  lostRecommendations: {
    flag: '--lost-recommendations',
    schema: numberText('expected a share between 0 and 1 of rebalance recommendations EventBridge does not deliver', (n) => n >= 0 && n <= 1),
  },
  postRestartCpu: {
    flag: '--post-restart-cpu',
    schema: numberText("expected a peak multiplier between 1 and 20 (the first minute's CPU demand over steady state)", (n) => n >= 1 && n <= 20),
  },
  postRestartMemory: {
    flag: '--post-restart-memory',
    schema: numberText("expected a peak multiplier between 1 and 20 (the first minute's memory over steady state)", (n) => n >= 1 && n <= 20),
  },
  capacityReservationReclaims: {
    flag: '--capacity-reservation-reclaims',
    schema: numberText('expected an integer number of reclaims per run between 0 and 10000', (n) => Number.isInteger(n) && n >= 0 && n <= 10_000),
  },
  scheduledMaintenance: {
    flag: '--scheduled-maintenance',
    schema: numberText('expected an integer number of scheduled changes per run between 0 and 10000', (n) => Number.isInteger(n) && n >= 0 && n <= 10_000),
  },
  poolBudget: {
    flag: '--pool-budget',
    schema: numberText('expected a share above 0 and at most 1 of the capacity each primary group was sized from', (n) => n > 0 && n <= 1),
  },
  bestEffortShare: {
    flag: '--best-effort-share',
    schema: numberText('expected a share between 0 and 1 of the workloads tagged best-effort (priority 10)', (n) => n >= 0 && n <= 1),
  },
  targetedRequests: {
    flag: '--targeted-requests',
    schema: numberText('expected a share between 0 and 1 of the priority requests that name one instance', (n) => n >= 0 && n <= 1),
  },
  workers: {
    flag: '--workers',
    schema: numberText(`expected an integer number of worker threads between 1 and ${MAX_WORKERS}`, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS),
  },
} as const;

const parseField = <K extends keyof typeof FIELDS>(key: K, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const r = FIELDS[key].schema.safeParse(raw);
  if (!r.success) throw new SimulateOptionError(FIELDS[key].flag, raw, r.error.issues[0]?.message ?? 'invalid value');
  return r.data;
};

const parseSeeds = (raw: RawSimulateOptions): { seeds: number[]; singleSeed: boolean } => {
  if (raw.seed !== undefined && raw.seeds !== undefined) {
    throw new SimulateOptionError(
      '--seed and --seeds',
      `--seed ${raw.seed} --seeds ${raw.seeds}`,
      'give one seed with --seed or several with --seeds, not both',
    );
  }
  if (raw.seeds === undefined) return { seeds: [parseField('seed', raw.seed, SIMULATE_DEFAULTS.seed)], singleSeed: true };
  try {
    return { seeds: parseSeedList(raw.seeds), singleSeed: false };
  } catch (error) {
    if (error instanceof SeedListError)
      throw new SimulateOptionError('--seeds', raw.seeds, `expected a range like 1..10 or a list like 1,4,7: ${error.reason}`);
    throw error;
  }
};

const readFileOption = <T>(option: string, file: string, read: () => T): T => {
  if (file.trim() === '' || !existsSync(file)) throw new SimulateOptionError(option, file, 'expected a file (it does not exist)');
  if (statSync(file).isDirectory()) throw new SimulateOptionError(option, file, 'expected a file, but it is a folder');
  return read();
};

/** Validates the raw options (every error names the option and its value, and for files the line and field). */
const parseMonitoring = (raw: string | undefined): MonitoringMode => {
  if (raw === undefined) return DEFAULT_MONITORING;
  const mode = MONITORING_MODES.find((m) => m === raw.trim());
  if (mode === undefined) throw new SimulateOptionError('--monitoring', raw, `expected one of ${MONITORING_MODES.join(', ')}`);
  return mode;
};

export const parseSimulateOptions = (raw: RawSimulateOptions, deps: SimulateOptionDeps = {}): SimulateOptions => {
  const { seeds, singleSeed } = parseSeeds(raw);
  const hours = parseField('hours', raw.hours, SIMULATE_DEFAULTS.hours);
  const instances = parseField('instances', raw.instances, SIMULATE_DEFAULTS.instances);
  const interruptionScale = parseField('interruptionScale', raw.interruptionScale, SIMULATE_DEFAULTS.interruptionScale);
  const rebalanceShare = parseField('rebalanceShare', raw.rebalanceShare, SIMULATE_DEFAULTS.rebalanceShare);
  const lostRecommendations = parseField('lostRecommendations', raw.lostRecommendations, SIMULATE_DEFAULTS.lostRecommendations);
  const postRestartPeaks = {
    ...(raw.postRestartCpu !== undefined ? { cpu: parseField('postRestartCpu', raw.postRestartCpu, 1) } : {}),
    ...(raw.postRestartMemory !== undefined ? { memory: parseField('postRestartMemory', raw.postRestartMemory, 1) } : {}),
  };
  const otherSignals = {
    capacityReservationReclaims: parseField('capacityReservationReclaims', raw.capacityReservationReclaims, 0),
    scheduledMaintenance: parseField('scheduledMaintenance', raw.scheduledMaintenance, 0),
  };
  const priorities = {
    bestEffortShare: parseField('bestEffortShare', raw.bestEffortShare, 0),
    targetedShare: parseField('targetedRequests', raw.targetedRequests, 0),
  };
  const poolBudget = parseField('poolBudget', raw.poolBudget, 1);
  const workers = parseField('workers', raw.workers, Math.min(MAX_WORKERS, availableParallelism()));
  let strategies: StrategyName[] = [...STRATEGY_NAMES];
  if (raw.strategy !== undefined && raw.strategy.trim() !== 'all') {
    const names = raw.strategy
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = names.filter((n) => !(STRATEGY_NAMES as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      throw new SimulateOptionError('--strategy', raw.strategy, `expected "all" or a comma-separated list of ${STRATEGY_NAMES.join(', ')}`);
    }
    strategies = STRATEGY_NAMES.filter((n) => names.includes(n));
  }
  if (raw.sweep === true && !strategies.some(isKnobStrategy)) {
    throw new SimulateOptionError('--sweep', raw.strategy, `sweeps the knobs of ${KNOB_STRATEGY_NAMES.join(', ')}; --strategy names none of them`);
  }
  if (raw.data !== undefined && !(existsSync(raw.data) && statSync(raw.data).isDirectory())) {
    throw new SimulateOptionError('--data', raw.data, 'expected a folder in the layout of ../shared/data (it does not exist or is not a folder)');
  }
  if (raw.out !== undefined && raw.out.trim() === '') throw new SimulateOptionError('--out', raw.out, 'expected a folder path');
  if (raw.out !== undefined && existsSync(raw.out) && !statSync(raw.out).isDirectory())
    throw new SimulateOptionError('--out', raw.out, 'expected a folder, but it is a file');
  if (raw.json !== undefined && (raw.json.trim() === '' || (existsSync(raw.json) && statSync(raw.json).isDirectory()))) {
    throw new SimulateOptionError('--json', raw.json, 'expected a file path (not a folder)');
  }

  let replayedInterruptions: ReplayedInterruption[] | undefined;
  if (raw.interruptions !== undefined) {
    const file = raw.interruptions;
    if (raw.rebalanceShare !== undefined) {
      throw new SimulateOptionError(
        '--rebalance-share and --interruptions',
        `--rebalance-share ${raw.rebalanceShare} --interruptions ${file}`,
        'a replayed file brings each rebalance recommendation with its warning; leave out --rebalance-share',
      );
    }
    replayedInterruptions = readFileOption('--interruptions', file, () => {
      try {
        return readInterruptionFile(file, Math.round(hours * 3600));
      } catch (error) {
        if (error instanceof InterruptionFileError)
          throw new SimulateOptionError('--interruptions', error.value, `${file} line ${error.line}, field ${error.field}: ${error.reason}`);
        throw error;
      }
    });
  }

  let fleetConfig: SpotwiseConfig | undefined;
  if (raw.config !== undefined) {
    const file = raw.config;
    if (raw.instances !== undefined) {
      throw new SimulateOptionError(
        '--instances and --config',
        `--instances ${raw.instances} --config ${file}`,
        "the fleet's size comes from the groups' capacities in the configuration; leave out --instances",
      );
    }
    const read = deps.readConfig;
    if (read === undefined) throw new Error('parseSimulateOptions: --config needs deps.readConfig');
    fleetConfig = readFileOption('--config', file, () => {
      try {
        const config = read(file);
        deps.checkConfigFleet?.(config);
        return config;
      } catch (error) {
        if (error instanceof Error) throw new SimulateOptionError('--config', file, error.message);
        throw error;
      }
    });
  }

  return {
    seeds,
    singleSeed,
    hours,
    instances,
    strategies,
    interruptionScale,
    rebalanceShare,
    lostRecommendations,
    workers,
    postRestartPeaks,
    otherSignals,
    priorities,
    poolBudget,
    sweep: raw.sweep === true,
    monitoring: parseMonitoring(raw.monitoring),
    outDir: raw.out ?? SIMULATE_DEFAULTS.outDir,
    progress: raw.progress !== false,
    ...(raw.data !== undefined ? { dataDir: raw.data } : {}),
    ...(raw.json !== undefined ? { jsonFile: raw.json } : {}),
    ...(replayedInterruptions !== undefined ? { interruptionsFile: raw.interruptions, replayedInterruptions } : {}),
    ...(fleetConfig !== undefined ? { configFile: raw.config, fleetConfig } : {}),
  };
};
