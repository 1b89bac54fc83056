import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRequestDetail, newRequestId, parseTimeFlag, type RequestOptions } from '../../../bin/commands/request';
import { EventBridgeRequestSender } from '../../../lambda/adapters/eventbridge-request-sender';
import { parseEvent } from '../../../lambda/events/registry';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const ID = () => 'req-test';
const eb = mockClient(EventBridgeClient);
afterAll(() => eb.restore());
beforeEach(() => eb.reset());

describe('spotwise request: the detail from the flags', () => {
  it("an instance request, with relative times, in the coordinator's own shape", () => {
    const detail = buildRequestDetail(
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'kernel patch', notBefore: '+30m', deadline: '+2h', mode: 'terminate' },
      NOW,
      ID,
    );
    expect(detail).toEqual({
      requestId: 'req-test',
      instanceId: 'i-0a1b2c3d4e5f60718',
      reason: 'kernel patch',
      notBefore: '2026-01-15T12:30:00.000Z',
      deadline: '2026-01-15T14:00:00.000Z',
      mode: 'terminate',
    });
    const parsed = parseEvent(
      {
        version: '0',
        id: 'e-1',
        source: 'spotwise',
        'detail-type': 'Interruption Requested',
        account: '1',
        time: '2026-01-15T12:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail,
      },
      { receivedAt: NOW },
    );
    expect(parsed).toMatchObject({
      kind: 'notice',
      notice: {
        kind: 'interruption-request',
        request: { requestId: 'req-test', notBefore: NOW + 30 * 60_000, deadline: NOW + 2 * 3_600_000, mode: 'terminate' },
      },
    });
  });

  it("a group request with its max priority; mode defaults to stop, times to the coordinator's defaults", () => {
    expect(buildRequestDetail({ group: 'web', maxPriority: '40', reason: 'drain' }, NOW, ID)).toEqual({
      requestId: 'req-test',
      groupName: 'web',
      maxPriority: 40,
      reason: 'drain',
      mode: 'stop',
    });
  });

  it.each<[string, RequestOptions, string]>([
    ['no selector', { reason: 'x' }, '--instance or --group: give one (got neither)'],
    [
      'both selectors',
      { instance: 'i-0a1b2c3d4e5f60718', group: 'web', maxPriority: '1', reason: 'x' },
      '--instance "i-0a1b2c3d4e5f60718" and --group "web": give one, not both',
    ],
    [
      'group without max priority',
      { group: 'web', reason: 'x' },
      '--max-priority: needed with --group (the highest priority that may be chosen, 0..100) (got nothing)',
    ],
    ['no reason', { instance: 'i-0a1b2c3d4e5f60718' }, '--reason: needed (why the interruption is wanted, shown by status and explain) (got nothing)'],
    ['priority over 100', { group: 'web', maxPriority: '101', reason: 'x' }, '--max-priority: expected an integer 0..100 (got "101")'],
    ['priority not a number', { group: 'web', maxPriority: 'high', reason: 'x' }, '--max-priority: expected an integer 0..100 (got "high")'],
    ['bad instance id', { instance: 'i-XYZ', reason: 'x' }, '--instance: expected an EC2 instance id like "i-0123456789abcdef0" (got "i-XYZ")'],
    [
      'bad mode',
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'x', mode: 'reboot' },
      '--mode: Invalid option: expected one of "stop"|"hibernate"|"terminate" (got "reboot")',
    ],
    ['reason too long', { instance: 'i-0a1b2c3d4e5f60718', reason: 'x'.repeat(513) }, '--reason: Too big: expected string to have <=512 characters'],
    [
      'bad request id',
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'x', requestId: 'a/b' },
      '--request-id: expected 1-64 characters of letters, digits, "_", "." or "-" (got "a/b")',
    ],
    [
      'deadline in the past',
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'x', deadline: '2026-01-15T11:00:00Z' },
      '--deadline: 2026-01-15T11:00:00.000Z has passed (now 2026-01-15T12:00:00.000Z)',
    ],
    [
      'deadline before not-before',
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'x', notBefore: '+2h', deadline: '+1h' },
      '--deadline: 2026-01-15T13:00:00.000Z must be after --not-before 2026-01-15T14:00:00.000Z',
    ],
    [
      'free-text time',
      { instance: 'i-0a1b2c3d4e5f60718', reason: 'x', notBefore: 'soon' },
      '--not-before: expected an ISO-8601 time like 2026-01-15T06:00:00Z or +30m, +2h, +1d (got "soon")',
    ],
  ])('%s: refused naming the flag and value', (_what, opts, message) => {
    expect(() => buildRequestDetail(opts, NOW, ID)).toThrow(message);
    try {
      buildRequestDetail(opts, NOW, ID);
    } catch (error) {
      expect((error as Error).name).toBe('UsageError');
    }
  });

  it.each([
    ['+45m', NOW + 45 * 60_000],
    ['+3h', NOW + 3 * 3_600_000],
    ['+1d', NOW + 86_400_000],
    ['2026-02-01T06:00:00Z', Date.parse('2026-02-01T06:00:00Z')],
    ['2026-02-01', Date.parse('2026-02-01')],
  ])('time %s', (text, at) => {
    expect(parseTimeFlag('--deadline', text, NOW)).toBe(at);
  });

  it('request ids sort by time and are valid schedule names', () => {
    expect(newRequestId(NOW, () => 'a1b2c3')).toBe('req-20260115T120000Z-a1b2c3');
    expect(newRequestId(NOW)).toMatch(/^req-20260115T120000Z-[0-9a-f]{6}$/);
  });
});

describe('EventBridgeRequestSender', () => {
  it('puts one entry on the bus with source spotwise and the detail as JSON, and returns the event id', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-123' }] });
    const id = await new EventBridgeRequestSender(new EventBridgeClient({}), 'spotwise-bus').send('Interruption Requested', {
      requestId: 'r',
      instanceId: 'i-0a1b2c3d4e5f60718',
      reason: 'x',
      mode: 'stop',
    });
    expect(id).toBe('e-123');
    expect(eb).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'spotwise',
          DetailType: 'Interruption Requested',
          Detail: '{"requestId":"r","instanceId":"i-0a1b2c3d4e5f60718","reason":"x","mode":"stop"}',
          EventBusName: 'spotwise-bus',
        },
      ],
    });
  });

  it('an entry EventBridge did not accept is an error naming its code', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized to put events on bus spotwise-bus' }],
    });
    await expect(
      new EventBridgeRequestSender(new EventBridgeClient({}), 'spotwise-bus').send('Interruption Cancel Requested', { requestId: 'r' }),
    ).rejects.toThrow(
      'putting a "Interruption Cancel Requested" event on bus spotwise-bus: the entry was not accepted (AccessDeniedException: not authorized to put events on bus spotwise-bus)',
    );
  });

  it('refuses an empty bus name', () => {
    expect(() => new EventBridgeRequestSender(new EventBridgeClient({}), ' ')).toThrow('eventBusName must not be empty (got "")');
  });
});
