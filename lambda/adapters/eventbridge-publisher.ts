import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SPOTWISE_SOURCE } from '../contracts/events';
import type { EventPublisher, PublishedEntry } from '../ports/event-publisher';
import { DEFAULT_BACKOFF, waitBeforeRetry, type BackoffOptions } from './backoff';
import { AwsCallError, ThrottledError, callAws } from './errors';

/** PutEvents takes at most 10 entries and 256 KB per request (EventBridge API reference, PutEvents). */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface EventBridgePublisherOptions {
  readonly eventBusName: string;
  /** Attempts per batch, including the first, for entries EventBridge reports as failed. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

const DEFAULT_ATTEMPTS = 3;

/**
 * Entry size as EventBridge counts it ("Calculating PutEvents event entry size"): 14 bytes for Time,
 * plus the UTF-8 bytes of Source, DetailType, Detail and each Resources ARN.
 */
export const entrySizeBytes = (entry: PutEventsRequestEntry): number =>
  14 +
  Buffer.byteLength(entry.Source ?? '', 'utf8') +
  Buffer.byteLength(entry.DetailType ?? '', 'utf8') +
  Buffer.byteLength(entry.Detail ?? '', 'utf8') +
  (entry.Resources ?? []).reduce((n, r) => n + Buffer.byteLength(r, 'utf8'), 0);

/** Packs entries in order into batches of at most 10 entries and 256 KB. */
export const batchEntries = (entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] => {
  const batches: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySizeBytes(entry);
    if (size > MAX_REQUEST_BYTES) {
      throw new RangeError(`publishing "${entry.DetailType ?? ''}": the entry is ${size} bytes, over EventBridge's ${MAX_REQUEST_BYTES}-byte limit`);
    }
    if (current.length === MAX_ENTRIES_PER_CALL || bytes + size > MAX_REQUEST_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/**
 * EventPublisher over EventBridge PutEvents. PutEvents is not all-or-nothing: a 200 response can carry
 * FailedEntryCount > 0 with an ErrorCode on the failed entries (in request order). Those entries alone are
 * re-sent, a bounded number of times with jittered backoff, then the call fails with their error codes.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
  ) {
    if (options.eventBusName.trim() === '') throw new RangeError('eventBusName must not be empty (got "")');
    this.maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async publish(entries: readonly PublishedEntry[]): Promise<void> {
    const requestEntries = entries.map((e): PutEventsRequestEntry => ({
      Source: SPOTWISE_SOURCE,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      EventBusName: this.options.eventBusName,
    }));
    for (const batch of batchEntries(requestEntries)) await this.putBatch(batch);
  }

  private async putBatch(batch: readonly PutEventsRequestEntry[]): Promise<void> {
    const operation = `publishing ${batch.length} event(s) (${[...new Set(batch.map((e) => e.DetailType))].join(', ')}) to bus ${this.options.eventBusName}`;
    let pending = [...batch];
    let lastErrors: string[] = [];
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      if (attempt > 0) await waitBeforeRetry(attempt - 1, this.backoff);
      const sending = pending;
      const response = await callAws(operation, () => this.client.send(new PutEventsCommand({ Entries: sending })));
      if ((response.FailedEntryCount ?? 0) === 0) return;
      const results = response.Entries ?? [];
      const failed = sending.filter((_, i) => results[i]?.ErrorCode !== undefined && results[i]?.ErrorCode !== '');
      // A response that counts failures but does not say which: re-send the whole batch.
      pending = failed.length > 0 ? failed : sending;
      lastErrors = results
        .filter((r) => r.ErrorCode !== undefined && r.ErrorCode !== '')
        .map((r) => `${r.ErrorCode}${r.ErrorMessage ? `: ${r.ErrorMessage}` : ''}`);
    }
    const detail = `${pending.length} of ${batch.length} event(s) still failed after ${this.maxAttempts} attempts (${[...new Set(lastErrors)].join('; ') || 'no error codes given'})`;
    if (lastErrors.length > 0 && lastErrors.every((e) => e.startsWith('ThrottlingException'))) throw new ThrottledError(operation, undefined, detail);
    throw new AwsCallError(operation, undefined, detail);
  }
}
