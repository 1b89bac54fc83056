import type { Figure } from './figures';

/** What one benchmark section produces: its figures, and notes worth printing under the table. */
export interface BenchResult {
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
}

/** Prints progress to stderr, so stdout holds only the final table. */
export const progress = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};
