import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/project-root';
import { progress, type BenchResult } from './bench-result';
import { figure, lessThan } from './figures';
import { percentile } from './stats';

/**
 * The default simulation's wall time: `spotwise simulate` with its defaults (what `npm start` runs:
 * every strategy, seed 1, 48 simulated hours, 40 instances), as a user waits for it — a fresh process,
 * from start-up to the report written — minus npm's own start-up. The report goes to out/bench/ so the
 * user's out/simulation is left alone.
 */
const TARGET_S = 60;
const OUT = join(PROJECT_ROOT, 'out', 'bench', 'simulation');

/** Runs of the default simulation; the figure is the median (the machine is shared). */
const SIMULATION_RUNS = 3;

export const runSimulationBench = async (): Promise<BenchResult> => {
  const runs: number[] = [];
  let reported: string | undefined;
  for (let r = 0; r < SIMULATION_RUNS; r++) {
    progress(`simulation: spotwise simulate with its defaults, run ${r + 1} of ${SIMULATION_RUNS}`);
    rmSync(OUT, { recursive: true, force: true });
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--disable-warning=NodeVersionSupportWarning', '--import', 'tsx', join(PROJECT_ROOT, 'bin/cli.ts'), 'simulate', '--no-progress', '--out', OUT],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    runs.push((performance.now() - started) / 1000);
    if (run.status !== 0) throw new Error(`spotwise simulate exited with ${String(run.status)}: ${(run.stderr || run.stdout).slice(-2000)}`);
    reported = /simulated in ([\d.]+) s/.exec(run.stdout)?.[1] ?? reported;
  }
  const seconds = percentile(runs, 50);
  return {
    figures: [figure('simulation.default.seconds', seconds, 's', lessThan(TARGET_S, 's'))],
    notes: [
      `simulation: \`spotwise simulate\` with defaults took ${seconds.toFixed(1)} s end to end (median of ${SIMULATION_RUNS} runs: ${runs.map((x) => x.toFixed(1)).join(', ')} s)` +
        `${reported !== undefined ? `; the last run simulated in ${reported} s by its own report` : ''}.`,
    ],
  };
};
