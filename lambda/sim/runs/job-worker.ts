import { parentPort, workerData } from 'node:worker_threads';
import { createJobRunner, type RunSettings, type SimJob } from './run-job';

/** Messages between the pool (worker-pool.ts) and a worker. */
export type ToWorker = { readonly kind: 'run'; readonly job: SimJob } | { readonly kind: 'stop' };
export type FromWorker =
  | { readonly kind: 'progress'; readonly index: number; readonly fraction: number }
  | { readonly kind: 'done'; readonly result: import('./run-job').JobResult }
  | { readonly kind: 'failed'; readonly index: number; readonly message: string; readonly stack?: string };

/**
 * A worker thread's loop: one job at a time, as the pool hands them out. Progress is sent at most every
 * 1 % of a run (postMessage per step would cost more than the step).
 */
const port = parentPort;
if (port !== null) {
  const runner = createJobRunner((workerData as { settings: RunSettings }).settings);
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'stop') {
      port.close();
      return;
    }
    const { job } = msg;
    let sent = -1;
    runner
      .run(job, (fraction) => {
        const pct = Math.floor(fraction * 100);
        if (pct > sent) {
          sent = pct;
          port.postMessage({ kind: 'progress', index: job.index, fraction } satisfies FromWorker);
        }
      })
      .then(
        (result) => port.postMessage({ kind: 'done', result } satisfies FromWorker),
        (error: unknown) => {
          const e = error instanceof Error ? error : new Error(String(error));
          port.postMessage({ kind: 'failed', index: job.index, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) } satisfies FromWorker);
        },
      );
  });
}
