import { describe, expect, it } from 'vitest';
import { explainInstance, formatRequest, requestJson, runExplain } from '../../../bin/commands/explain';
import type { TableSnapshot } from '../../../lambda/adapters/dynamodb-status-reader';
import { groupId, instanceId, requestId, reservationId } from '../../../lambda/core/domain';
import type { StoredRequest } from '../../../lambda/ports/state-store';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const VICTIM = instanceId('i-0aaaaaaaaaaaaaaa1');
const stored: StoredRequest = {
  request: {
    requestId: requestId('req-1'),
    selector: { kind: 'instance', instanceId: VICTIM },
    reason: 'kernel patch',
    notBefore: NOW + 600_000,
    deadline: NOW + 3 * 3_600_000,
    mode: 'stop',
    requestedAt: NOW - 60_000,
  },
  status: 'scheduled',
  victim: VICTIM,
  reservationId: reservationId(`request:req-1:${VICTIM}`),
  note: 'scheduled for 2026-01-15T12:10:00.000Z',
  updatedAt: NOW - 60_000,
  trail: [
    {
      at: NOW - 60_000,
      handler: 'coordinator',
      noticeKind: 'interruption-request',
      dryRun: false,
      checks: [
        { name: 'window', passed: true, detail: 'now …' },
        { name: 'pool', passed: true, detail: 'needs 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS; free 7 vCPU' },
      ],
      actions: ['reserve 3 vCPU … (request:req-1:i-0aaaaaaaaaaaaaaa1)', 'schedule stop of i-0aaaaaaaaaaaaaaa1 in web at 2026-01-15T12:10:00.000Z'],
      outcomes: ['done: reserve 3 vCPU …', 'done: schedule stop …'],
    },
  ],
};

describe('spotwise explain', () => {
  it('prints the request, then each decision: checks (ok / FAIL), the plan, what was executed', () => {
    expect(formatRequest(stored, NOW).split('\n')).toEqual([
      'request req-1: scheduled (scheduled for 2026-01-15T12:10:00.000Z)',
      '  stop instance i-0aaaaaaaaaaaaaaa1: kernel patch',
      '  requested 2026-01-15T11:59:00.000Z; window 2026-01-15T12:10:00.000Z .. 2026-01-15T15:00:00.000Z',
      '  victim i-0aaaaaaaaaaaaaaa1, reservation request:req-1:i-0aaaaaaaaaaaaaaa1',
      '  last updated 2026-01-15T11:59:00.000Z (1 min ago)',
      'decisions (1, oldest first):',
      '  1. 2026-01-15T11:59:00.000Z  coordinator on interruption-request',
      '     checks:',
      '       ok   window: now …',
      '       ok   pool: needs 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS; free 7 vCPU',
      '     plan:',
      '       1) reserve 3 vCPU … (request:req-1:i-0aaaaaaaaaaaaaaa1)',
      '       2) schedule stop of i-0aaaaaaaaaaaaaaa1 in web at 2026-01-15T12:10:00.000Z',
      '     executed:',
      '       - done: reserve 3 vCPU …',
      '       - done: schedule stop …',
    ]);
  });

  it('a record without a trail says so', () => {
    expect(formatRequest({ ...stored, trail: undefined } as unknown as StoredRequest, NOW)).toContain(
      'decisions: none stored (the record predates decision trails, or no handler decided on it yet)',
    );
  });

  it('--json has ISO times and the trail', () => {
    expect(requestJson(stored)).toMatchObject({
      requestId: 'req-1',
      status: 'scheduled',
      notBefore: '2026-01-15T12:10:00.000Z',
      victim: VICTIM,
      retryAt: null,
      trail: [{ at: '2026-01-15T11:59:00.000Z', handler: 'coordinator' }],
    });
  });

  it('by instance: its forecast, the reservations held for it, the requests that named or chose it', () => {
    const snapshot: TableSnapshot = {
      pools: new Map([
        [
          groupId('web'),
          {
            groupId: groupId('web'),
            capacity: { vcpu: 8, memoryGiB: 32, networkMbps: 0, diskIops: 0 },
            allocations: new Map(),
            version: 1,
            reservations: new Map([
              [
                reservationId('r1'),
                {
                  id: reservationId('r1'),
                  groupId: groupId('web'),
                  instanceId: VICTIM,
                  amount: { vcpu: 3, memoryGiB: 10, networkMbps: 0, diskIops: 0 },
                  createdAt: NOW,
                  expiresAt: NOW + 1,
                  reason: 'x',
                  priority: 1,
                },
              ],
            ]),
          },
        ],
      ]),
      forecasts: [],
      retrainingRuns: [],
      warmPoolWriters: [],
      warmClaims: [],
      requests: [
        stored,
        {
          ...stored,
          request: { ...stored.request, requestId: requestId('other'), selector: { kind: 'instance', instanceId: instanceId('i-0bbbbbbbbbbbbbbb1') } },
          victim: instanceId('i-0bbbbbbbbbbbbbbb1'),
        },
      ],
      unreadable: [],
      scanned: 0,
      returned: 0,
    };
    const found = explainInstance(VICTIM, snapshot);
    expect(found.requests.map((r) => r.request.requestId)).toEqual(['req-1']);
    expect(found.reservations.map((r) => r.id)).toEqual(['r1']);
    expect(found.forecast).toBeUndefined();
  });

  it('a target that is neither a request id nor an instance id exits 2 before any AWS call', async () => {
    expect(await runExplain('../etc', { table: 't' }, {})).toBe(2);
  });
});
