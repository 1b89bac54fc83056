/**
 * Property tests run from one fixed seed by default, so a run of `npm test` is reproducible and a counterexample
 * found by anyone is found by everyone. `FC_SEED=<integer>` picks another seed; `FC_SEED=random` lets fast-check draw
 * one per property (it prints the seed of any failure, to replay with `FC_SEED=<that seed>`).
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20_261_205;
const raw = process.env.FC_SEED;
if (raw !== 'random') {
  const seed = raw === undefined || raw === '' ? DEFAULT_SEED : Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random" (got ${JSON.stringify(raw)})`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
