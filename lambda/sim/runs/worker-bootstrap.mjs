// Entry of the simulator's worker threads: registers tsx (TypeScript) in this thread, then loads the worker.
// Node 20 does not carry `--import tsx` from execArgv into a worker's module loading, so the worker registers it itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
