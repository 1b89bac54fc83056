import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './job-worker';
import { createJobRunner, type JobResult, type RunSettings, type SimJob } from './run-job';

export interface RunJobsOptions {
  /**
   * Worker threads to run on (default: the machine's cores, at most one per job). 0 runs every job in this
   * thread, one after another (no thread start-up; for small runs and debugging).
   */
  readonly workers?: number;
  /** Called as runs progress: `done` is the sum of every job's completed fraction (0..jobs). */
  readonly onProgress?: (done: number, total: number) => void;
}

export const defaultWorkers = (): number => availableParallelism();

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./job-worker.ts', import.meta.url);

/**
 * Runs the jobs and returns their results in job order. Each job depends only on its settings, seed,
 * strategy and knob, never on which worker ran it or when, so the results are the same for any number of
 * workers. Jobs are handed out in list order to whichever worker is free: put the long ones first.
 * The first failure stops every worker and rejects with the job and the cause.
 */
export const runJobs = async (settings: RunSettings, jobs: readonly SimJob[], opts: RunJobsOptions = {}): Promise<JobResult[]> => {
  const total = jobs.length;
  const fractions = new Map<number, number>();
  const report = (index: number, fraction: number): void => {
    fractions.set(index, fraction);
    if (opts.onProgress)
      opts.onProgress(
        [...fractions.values()].reduce((a, b) => a + b, 0),
        total,
      );
  };
  const results = new Map<number, JobResult>();
  const workers = Math.min(opts.workers ?? defaultWorkers(), total);
  if (workers <= 0) {
    const runner = createJobRunner(settings);
    for (const job of jobs) {
      results.set(job.index, await runner.run(job, (f) => report(job.index, f)));
      report(job.index, 1);
    }
    return jobs.map((j) => results.get(j.index) as JobResult);
  }

  const queue = [...jobs];
  const threads: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const next = (w: Worker): void => {
        const job = queue.shift();
        if (job === undefined) {
          if (running === 0 && results.size === total) resolve();
          return;
        }
        running += 1;
        w.postMessage({ kind: 'run', job } satisfies ToWorker);
      };
      for (let k = 0; k < workers; k++) {
        const w = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY.href, settings } });
        threads.push(w);
        w.on('message', (msg: FromWorker) => {
          if (msg.kind === 'progress') report(msg.index, msg.fraction);
          else if (msg.kind === 'done') {
            running -= 1;
            results.set(msg.result.index, msg.result);
            report(msg.result.index, 1);
            if (results.size === total) resolve();
            else next(w);
          } else {
            const job = jobs.find((j) => j.index === msg.index);
            const cause = Object.assign(new Error(msg.message), msg.stack !== undefined ? { stack: msg.stack } : {});
            fail(
              new Error(
                `simulating ${job?.strategy ?? '?'} on seed ${job?.seed ?? '?'}${job?.knob !== undefined ? ` (knob ${job.knob})` : ''}: ${msg.message}`,
                { cause },
              ),
            );
          }
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (code !== 0 && results.size < total) fail(new Error(`a simulation worker exited with code ${code}`));
        });
        next(w);
      }
    });
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return jobs.map((j) => results.get(j.index) as JobResult);
};
