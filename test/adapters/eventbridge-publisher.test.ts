import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher, MAX_ENTRIES_PER_CALL, MAX_REQUEST_BYTES, batchEntries, entrySizeBytes } from '../../lambda/adapters/eventbridge-publisher';
import { AwsCallError, ThrottledError } from '../../lambda/adapters/errors';
import { groupId, instanceId, type DomainEvent } from '../../lambda/core/domain';
import type { PublishedEntry } from '../../lambda/ports/event-publisher';
import { ec2Error } from './aws-errors';

const eb = mockClient(EventBridgeClient);
afterAll(() => eb.restore());
const noSleep = { baseMs: 1, capMs: 1, random: () => 0, sleep: async () => undefined };
const publisher = (maxAttempts = 3) => new EventBridgePublisher(new EventBridgeClient({}), { eventBusName: 'spotwise-bus', maxAttempts, backoff: noSleep });

const event = (i: number): PublishedEntry => ({
  detailType: 'Domain Event',
  detail: { kind: 'notice-ignored', at: 1_700_000_000_000 + i, reason: `event ${i}`, instanceId: instanceId(`i-${i}`) } satisfies DomainEvent,
});
const requestEntry = (e: PublishedEntry): PutEventsRequestEntry => ({
  Source: 'spotwise',
  DetailType: e.detailType,
  Detail: JSON.stringify(e.detail),
  EventBusName: 'spotwise-bus',
});

beforeEach(() => {
  eb.reset();
});

describe('EventBridgePublisher', () => {
  it('sends PutEvents in batches of 10 with source "spotwise" on the configured bus', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const entries = Array.from({ length: 23 }, (_, i) => event(i));
    await publisher().publish(entries);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input).toEqual({ Entries: entries.slice(0, 10).map(requestEntry) });
    expect(calls[2]?.args[0].input).toEqual({ Entries: entries.slice(20).map(requestEntry) });
  });

  it('publishes a plan with its handler and dry-run flag as the detail', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const plan: PublishedEntry = {
      detailType: 'Plan Made',
      detail: {
        handler: 'notice',
        dryRun: true,
        noticeKind: 'spot-interruption-warning',
        plan: { actions: [{ kind: 'change-desired-capacity', groupId: groupId('standby'), by: 1, from: 2, reason: 'warm capacity' }], events: [] },
      },
    };
    await publisher().publish([plan]);
    expect(eb).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, { Entries: [requestEntry(plan)] });
  });

  it('re-sends only the entries EventBridge reports as failed (FailedEntryCount), then succeeds', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }, { EventId: 'c' }, { ErrorCode: 'ThrottlingException' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }, { EventId: 'd' }] });
    const entries = [0, 1, 2, 3].map(event);
    await publisher().publish(entries);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input).toEqual({ Entries: [requestEntry(entries[1] as PublishedEntry), requestEntry(entries[3] as PublishedEntry)] });
  });

  it('fails after a bounded number of attempts, naming the error codes', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const call = publisher(3).publish([event(0)]);
    await expect(call).rejects.toBeInstanceOf(AwsCallError);
    await expect(call).rejects.toThrow(
      'publishing 1 event(s) (Domain Event) to bus spotwise-bus: 1 of 1 event(s) still failed after 3 attempts (InternalFailure: try again)',
    );
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 3);
  });

  it('reports entries that stay throttled as ThrottledError', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    await expect(publisher(2).publish([event(0)])).rejects.toBeInstanceOf(ThrottledError);
  });

  it('translates a rejected call by error code', async () => {
    eb.on(PutEventsCommand).rejects(ec2Error('ThrottlingException', 'Rate exceeded'));
    await expect(publisher().publish([event(0)])).rejects.toBeInstanceOf(ThrottledError);
  });

  it('makes no call for nothing to publish', async () => {
    await publisher().publish([]);
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('batchEntries', () => {
  const entry = (bytes: number): PutEventsRequestEntry => ({ Source: 'spotwise', DetailType: 'Domain Event', Detail: 'x'.repeat(bytes) });

  it('keeps order and respects both limits: 10 entries and 256 KB per call', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 40 }), (sizes) => {
        const entries = sizes.map(entry);
        const batches = batchEntries(entries);
        expect(batches.flat()).toEqual(entries);
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(MAX_ENTRIES_PER_CALL);
          expect(b.reduce((n, e) => n + entrySizeBytes(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
        }
      }),
    );
  });

  it('counts entry size as EventBridge does (14 bytes for Time + Source + DetailType + Detail)', () => {
    expect(entrySizeBytes({ Source: 'spotwise', DetailType: 'Plan Made', Detail: '{"é":1}' })).toBe(14 + 8 + 9 + 8); // "é" is two bytes in UTF-8
  });

  it('refuses a single entry over the limit with its detail-type and size', () => {
    expect(() => batchEntries([entry(MAX_REQUEST_BYTES)])).toThrow(
      `publishing "Domain Event": the entry is ${MAX_REQUEST_BYTES + 14 + 8 + 12} bytes, over EventBridge's 262144-byte limit`,
    );
  });
});
