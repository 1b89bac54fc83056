/**
 * Retry pacing for the retries the SDK cannot do itself: items a batch API left unprocessed
 * (BatchWriteItem/BatchGetItem UnprocessedItems, PutEvents failed entries) and DynamoDB transactions
 * cancelled by a TransactionConflict. "Full jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): a random delay in [0, min(cap, base·2^attempt)), so contending writers spread out.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** [0, 1) source; injected so tests are deterministic. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 25, capMs: 1_000 };

export const backoffDelayMs = (attempt: number, options: BackoffOptions): number => {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
  const random = options.random ?? Math.random;
  return Math.floor(random() * ceiling);
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits before retry number `attempt` (0-based). */
export const waitBeforeRetry = (attempt: number, options: BackoffOptions): Promise<void> => (options.sleep ?? sleep)(backoffDelayMs(attempt, options));
