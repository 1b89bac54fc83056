import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { collectStatus, costOf, formatStatus } from '../../../bin/commands/status';
import { bodyItem, toReservationItem } from '../../../lambda/adapters/dynamodb-items';
import { DynamoDbStatusReader, type TableSnapshot } from '../../../lambda/adapters/dynamodb-status-reader';
import { Keys } from '../../../lambda/contracts/table';
import { groupId, instanceId, requestId, reservationId, type Reservation, type ResourcePool } from '../../../lambda/core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../../lambda/ports/capacity-gateway';
import type { PriceQuote, PriceReader } from '../../../lambda/ports/price-reader';
import type { RetrainingRecord } from '../../../lambda/ports/learning-store';
import type { StoredRequest } from '../../../lambda/ports/state-store';
import { knownForecast } from '../../handlers/world';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const WEB = groupId('web');
const STANDBY = groupId('web-standby');
const R = (vcpu: number, memoryGiB: number) => ({ vcpu, memoryGiB, networkMbps: 100, diskIops: 200 });

const reservation: Reservation = {
  id: reservationId('request:req-1:i-0aaaaaaaaaaaaaaa1'),
  groupId: WEB,
  instanceId: instanceId('i-0aaaaaaaaaaaaaaa1'),
  amount: R(2, 8),
  createdAt: NOW - 60_000,
  expiresAt: NOW + 35 * 60_000,
  reason: 'request req-1: kernel patch',
  priority: 40,
  loans: [{ lender: instanceId('i-0aaaaaaaaaaaaaaa2'), amount: { vcpu: 0.5, memoryGiB: 1, networkMbps: 0, diskIops: 0 } }],
};
const pool = (group: typeof WEB, capacity: ReturnType<typeof R>, reservations: Reservation[] = []): ResourcePool => ({
  groupId: group,
  capacity,
  allocations: new Map([[instanceId('i-0aaaaaaaaaaaaaaa2'), R(1, 4)]]),
  reservations: new Map(reservations.map((r) => [r.id, r])),
  version: 7,
});
const request = (id: string, status: StoredRequest['status'], over: Partial<StoredRequest> = {}): StoredRequest => ({
  request: {
    requestId: requestId(id),
    selector: { kind: 'group', groupId: WEB, maxPriority: 60 },
    reason: 'drain',
    notBefore: NOW,
    deadline: NOW + 6 * 3_600_000,
    mode: 'terminate',
    requestedAt: NOW - 120_000,
  },
  status,
  updatedAt: NOW - 60_000,
  ...over,
});
const deferred = request('req-2', 'deferred', {
  retryAt: NOW + 240_000,
  note: 'reservation-does-not-fit: no candidate fits',
  trail: [
    {
      at: NOW - 60_000,
      handler: 'coordinator',
      noticeKind: 'interruption-request',
      dryRun: false,
      checks: [
        {
          name: 'pool',
          passed: false,
          detail:
            'free 0.5 vCPU, 4 GiB, 100 Mbps, 200 IOPS of capacity 8 vCPU, 32 GiB, 300 Mbps, 600 IOPS (allocated 5.5 vCPU, 20 GiB, 100 Mbps, 200 IOPS, reserved 2 vCPU, 8 GiB, 100 Mbps, 200 IOPS); short 1 vCPU, 0 GiB, 0 Mbps, 0 IOPS',
        },
      ],
      actions: ['defer request req-2: reservation-does-not-fit'],
      outcomes: ['done: defer request req-2'],
    },
  ],
});
const retrainingRun: RetrainingRecord = {
  at: NOW - 3_600_000,
  outcome: 'candidate',
  reason: 'candidate better on held-back cycles (vcpu: wQL 0.4100 → 0.2200)',
  version: '1.r+0123456789ab',
  previousVersion: 'bundled 1.0.0+6fbf0a88dcb0',
  cycles: { fit: 180, heldBack: 60 },
  seconds: 12.5,
};
const snapshot: TableSnapshot = {
  pools: new Map([
    [WEB, pool(WEB, R(8, 32), [reservation])],
    [STANDBY, pool(STANDBY, R(4, 16))],
  ]),
  forecasts: [
    knownForecast('i-0aaaaaaaaaaaaaaa1', { vcpu: 2, memoryGiB: 8 }, NOW - 5 * 60_000),
    knownForecast('i-0aaaaaaaaaaaaaaa2', { vcpu: 1, memoryGiB: 4 }, NOW - 65 * 60_000),
  ],
  requests: [
    request('req-old', 'executed', { updatedAt: NOW - 2 * 86_400_000 }),
    deferred,
    request('req-1', 'scheduled', { victim: instanceId('i-0aaaaaaaaaaaaaaa1'), reservationId: reservation.id }),
  ],
  retrainingRuns: [],
  warmPoolWriters: [],
  warmClaims: [],
  unreadable: [],
  scanned: 20,
  returned: 8,
};

const asg: GroupDescription = {
  id: WEB,
  desiredCapacity: 2,
  minSize: 1,
  maxSize: 4,
  availabilityZones: ['us-east-1a'],
  tags: {},
  instances: [
    { id: instanceId('i-0aaaaaaaaaaaaaaa1'), instanceType: 'm5.large', availabilityZone: 'us-east-1a', lifecycle: 'spot', warm: false },
    { id: instanceId('i-0aaaaaaaaaaaaaaa2'), instanceType: 'm5.large', availabilityZone: 'us-east-1b', lifecycle: 'on-demand', warm: false },
  ],
};
const standbyAsg: GroupDescription = { id: STANDBY, desiredCapacity: 0, minSize: 0, maxSize: 2, availabilityZones: ['us-east-1a'], tags: {}, instances: [] };
const warm: WarmPoolDescription = {
  minSize: 2,
  maxGroupPreparedCapacity: -1,
  poolState: 'Stopped',
  reuseOnScaleIn: true,
  instances: [
    { id: instanceId('i-0ccccccccccccccc1'), instanceType: 'm5.xlarge', availabilityZone: 'us-east-1a', lifecycleState: 'Warmed:Stopped' },
    { id: instanceId('i-0ccccccccccccccc2'), instanceType: 'm5.xlarge', availabilityZone: 'us-east-1a', lifecycleState: 'Warmed:Running' },
  ],
};
const capacity = (fail = false): Pick<CapacityGateway, 'describeGroups' | 'describeWarmPool'> => ({
  describeGroups: async (ids) => {
    if (fail) throw new Error('describing groups: throttled by AWS (Throttling); retry later');
    return [asg, standbyAsg].filter((g) => ids.includes(g.id));
  },
  describeWarmPool: async (id) => (id === STANDBY ? warm : undefined),
});
const QUOTE: PriceQuote = {
  prices: new Map([
    ['m5.large', { onDemandHourlyUsd: 0.096, spotByZone: new Map([['us-east-1a', 0.036]]) }],
    ['m5.xlarge', { onDemandHourlyUsd: 0.192, spotByZone: new Map() }],
  ]),
  notes: [],
};
const prices: PriceReader = { readPrices: async () => QUOTE };

describe('spotwise status: collecting', () => {
  it('per group: pool amounts, Auto Scaling and warm pool, reservations, forecasts newest first, cost; open and recent requests; fail-closed decisions', async () => {
    const report = await collectStatus({ snapshot, capacity: capacity(), table: 'spotwise-state', now: NOW, prices });
    expect(report.groups.map((g) => g.group)).toEqual(['web', 'web-standby']);
    const [web, standby] = report.groups;
    expect(web?.pool).toEqual({
      capacity: R(8, 32),
      allocated: R(1, 4),
      reserved: R(2, 8),
      free: { vcpu: 5, memoryGiB: 20, networkMbps: -100, diskIops: -200 },
      borrowed: { vcpu: 0.5, memoryGiB: 1, networkMbps: 0, diskIops: 0 },
      allocatedInstances: 1,
      version: 7,
    });
    expect(web?.autoScaling).toMatchObject({ desiredCapacity: 2, minSize: 1, maxSize: 4, inService: 2, warmPool: null });
    expect(web?.reservations).toEqual([
      {
        reservationId: reservation.id,
        purpose: 'request',
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        amount: R(2, 8),
        reason: 'request req-1: kernel patch',
        priority: 40,
        createdAt: '2026-01-15T11:59:00.000Z',
        expiresAt: '2026-01-15T12:35:00.000Z',
        loans: [{ lender: 'i-0aaaaaaaaaaaaaaa2', amount: { vcpu: 0.5, memoryGiB: 1, networkMbps: 0, diskIops: 0 } }],
      },
    ]);
    expect(web?.forecasts.map((f) => [f.instanceId, f.ageSeconds, f.basis?.vcpu])).toEqual([
      ['i-0aaaaaaaaaaaaaaa1', 300, 'instance-history'],
      ['i-0aaaaaaaaaaaaaaa2', 3900, 'instance-history'],
    ]);
    // Spot m5.large in us-east-1a at $0.036, On-Demand m5.large at $0.096.
    expect(web?.cost).toEqual({ estimatedHourlyUsd: 0.132, onDemandEquivalentHourlyUsd: 0.192, savingsHourlyUsd: 0.06, warmRunningHourlyUsd: 0, unpriced: [] });
    expect(standby?.autoScaling?.warmPool).toEqual({
      minSize: 2,
      maxGroupPreparedCapacity: -1,
      poolState: 'Stopped',
      instances: [
        { instanceId: 'i-0ccccccccccccccc1', instanceType: 'm5.xlarge', lifecycleState: 'Warmed:Stopped' },
        { instanceId: 'i-0ccccccccccccccc2', instanceType: 'm5.xlarge', lifecycleState: 'Warmed:Running' },
      ],
    });
    expect(standby?.cost?.warmRunningHourlyUsd).toBe(0.192);
    // The executed request is older than a day: left out.
    expect(report.requests.map((r) => [r.requestId, r.status, r.shortfall])).toEqual([
      ['req-1', 'scheduled', null],
      ['req-2', 'deferred', '1 vCPU, 0 GiB, 0 Mbps, 0 IOPS'],
    ]);
    expect(report.failClosed).toEqual([
      {
        requestId: 'req-2',
        at: '2026-01-15T11:59:00.000Z',
        handler: 'coordinator',
        failed: [{ name: 'pool', detail: expect.stringMatching(/; short 1 vCPU/) }],
        outcomes: [],
      },
    ]);
  });

  it('--group: one group and its requests; an unknown group is a usage error naming the groups there are', async () => {
    const report = await collectStatus({ snapshot, capacity: capacity(), table: 't', now: NOW, group: 'web-standby' });
    expect(report.groups.map((g) => g.group)).toEqual(['web-standby']);
    expect(report.requests).toEqual([]);
    await expect(collectStatus({ snapshot, capacity: capacity(), table: 't', now: NOW, group: 'api' })).rejects.toThrow(
      '--group: "api" has no pool in table t (groups with a pool: web, web-standby)',
    );
  });

  it("Auto Scaling or prices that cannot be read are notes; the table's view is still shown", async () => {
    const failingPrices: PriceReader = {
      readPrices: async () => {
        throw new Error('pricing:GetProducts AccessDeniedException');
      },
    };
    const report = await collectStatus({ snapshot, capacity: capacity(true), table: 't', now: NOW, prices: failingPrices });
    expect(report.groups.every((g) => g.autoScaling === null && g.cost === null)).toBe(true);
    expect(report.notes[0]).toBe('Auto Scaling could not be read: describing groups: throttled by AWS (Throttling); retry later');
    const priced = await collectStatus({ snapshot, capacity: capacity(), table: 't', now: NOW, prices: failingPrices });
    expect(priced.notes).toContain('prices could not be read, so no cost figures: pricing:GetProducts AccessDeniedException');
  });

  it("costs in-service instances at their zone's Spot price (else the mean over zones) and names what it cannot price", () => {
    const cost = costOf(
      {
        ...asg,
        instances: [
          ...asg.instances,
          { id: instanceId('i-0aaaaaaaaaaaaaaa3'), instanceType: 'x9.huge', availabilityZone: 'us-east-1a', lifecycle: 'spot', warm: false },
        ],
      },
      undefined,
      QUOTE,
    );
    expect(cost).toEqual({
      estimatedHourlyUsd: 0.132,
      onDemandEquivalentHourlyUsd: 0.192,
      savingsHourlyUsd: 0.06,
      warmRunningHourlyUsd: 0,
      unpriced: ['i-0aaaaaaaaaaaaaaa3 (x9.huge Spot)'],
    });
  });
});

describe('spotwise status: the model', () => {
  it('names the model forecasting and the newest retraining run (outcome, cycles, why), in text and JSON', async () => {
    const older = { ...retrainingRun, at: NOW - 30 * 3_600_000, outcome: 'skipped' as const, reason: 'too few' };
    const report = await collectStatus({ snapshot: { ...snapshot, retrainingRuns: [retrainingRun, older] }, capacity: capacity(), table: 't', now: NOW });
    expect(report.model).toEqual({
      version: '1.r+0123456789ab',
      lastRun: { at: '2026-01-15T11:00:00.000Z', outcome: 'candidate', reason: retrainingRun.reason, cycles: { fit: 180, heldBack: 60 } },
    });
    expect(formatStatus(report).split('\n')[1]).toBe(
      'model: 1.r+0123456789ab; last retraining 60 min ago: candidate (180 + 60 held-back cycles) — candidate better on held-back cycles (vcpu: wQL 0.4100 → 0.2200)',
    );
  });
});

describe('spotwise status: members out of service', () => {
  it('a member in Standby is not counted in service and is named with its lifecycle state', async () => {
    const withStandby: GroupDescription = {
      ...asg,
      desiredCapacity: 1,
      instances: [
        { ...(asg.instances[0] as GroupDescription['instances'][number]), lifecycleState: 'InService' },
        { ...(asg.instances[1] as GroupDescription['instances'][number]), lifecycleState: 'Standby' },
      ],
    };
    const report = await collectStatus({
      snapshot,
      capacity: { ...capacity(), describeGroups: async (ids) => [withStandby, standbyAsg].filter((g) => ids.includes(g.id)) },
      table: 'spotwise-state',
      now: NOW,
    });
    expect(report.groups[0]?.autoScaling).toMatchObject({
      desiredCapacity: 1,
      inService: 1,
      instances: [
        { instanceId: 'i-0aaaaaaaaaaaaaaa1', lifecycleState: 'InService' },
        { instanceId: 'i-0aaaaaaaaaaaaaaa2', lifecycleState: 'Standby' },
      ],
    });
    expect(formatStatus(report)).toContain('  auto scaling: desired 1 (min 1, max 4), 1 in service, 1 in Standby (i-0aaaaaaaaaaaaaaa2)\n');
  });
});

describe('spotwise status: text', () => {
  it('prints the pool table, the cost line, reservations, forecasts, requests with their shortfall, fail-closed decisions and notes', async () => {
    const text = formatStatus(await collectStatus({ snapshot, capacity: capacity(), table: 'spotwise-state', now: NOW, prices }));
    expect(text.split('\n').slice(0, 15)).toEqual([
      'spotwise status: table spotwise-state at 2026-01-15T12:00:00.000Z',
      'model: the bundled one (no retraining run recorded yet)',
      '',
      'group web',
      '  pool (version 7, 1 allocated instance(s))',
      '                  vCPU  GiB  Mbps  IOPS',
      '    capacity         8   32   100   200',
      '    allocated        1    4   100   200',
      '    reserved         2    8   100   200',
      '    free             5   20  -100  -200',
      '    borrowed       0.5    1     0     0',
      '  auto scaling: desired 2 (min 1, max 4), 2 in service',
      '  warm pool: none',
      '  cost: $0.1320/h now, $0.1920/h at On-Demand: Spot saves $0.0600/h (31.3 %); warm instances running $0.0000/h',
      '  reservations (1)',
    ]);
    expect(text).toContain(
      '    request:req-1:i-0aaaaaaaaaaaaaaa1  for i-0aaaaaaaaaaaaaaa1, priority 40: 2 vCPU, 8 GiB, 100 Mbps, 200 IOPS until 2026-01-15T12:35:00.000Z (in 35 min)\n      why: request req-1: kernel patch\n      borrows 0.5 vCPU, 1 GiB, 0 Mbps, 0 IOPS from i-0aaaaaaaaaaaaaaa2',
    );
    expect(text).toContain('    i-0aaaaaaaaaaaaaaa2  p90 1 vCPU, 4 GiB, 0 Mbps, 0 IOPS  basis instance-history, made 65 min ago');
    expect(text).toContain('  warm pool: min 2, max prepared -1, Stopped: 1 Warmed:Stopped, 1 Warmed:Running');
    expect(text).toContain(
      '  req-2  deferred  terminate group web (priority ≤ 60)\n    reason: drain; window 2026-01-15T12:00:00.000Z .. 2026-01-15T18:00:00.000Z\n    reservation-does-not-fit: no candidate fits\n    short 1 vCPU, 0 GiB, 0 Mbps, 0 IOPS\n    retry at 2026-01-15T12:04:00.000Z (in 4 min)',
    );
    expect(text).toContain('fail-closed decisions (1)\n  2026-01-15T11:59:00.000Z  coordinator  request req-2\n    pool: free 0.5 vCPU');
    expect(text).not.toContain('borrowing does not decide admissions');
  });
});

describe('spotwise status: the warm-pool writer', () => {
  it('shows the raises queued and who holds the lease (a lease that ran out is said), only while there is something to show', async () => {
    const at = (writers: TableSnapshot['warmPoolWriters']) =>
      collectStatus({ snapshot: { ...snapshot, warmPoolWriters: writers }, capacity: capacity(), table: 't', now: NOW });
    const standbyOf = async (writers: TableSnapshot['warmPoolWriters']) => (await at(writers)).groups.find((g) => g.group === STANDBY)?.autoScaling?.warmPool;
    // Nothing queued and nobody holding it: as if there were no item.
    expect(await standbyOf([{ groupId: STANDBY, raises: 0 }])).not.toHaveProperty('writer');
    expect((await standbyOf([{ groupId: STANDBY, raises: 2, holder: 'h-1', leaseUntil: NOW + 30_000 }]))?.writer).toEqual({
      raisesQueued: 2,
      lease: { holder: 'h-1', until: '2026-01-15T12:00:30.000Z', ranOut: false },
    });
    const stuck = formatStatus(await at([{ groupId: STANDBY, raises: 1, holder: 'h-dead', leaseUntil: NOW - 1 }]));
    expect(stuck).toContain(
      '  warm pool: min 2, max prepared -1, Stopped: 1 Warmed:Stopped, 1 Warmed:Running\n  warm-pool writer: 1 raise(s) queued, lease held by h-dead until 2026-01-15T11:59:59.999Z (ran out: the next writer takes it over)',
    );
    expect(formatStatus(await at([{ groupId: STANDBY, raises: 3 }]))).toContain('  warm-pool writer: 3 raise(s) queued, lease free');
  });

  it('shows the live claims on warm instances: which victim each was staged for, and until when', async () => {
    const claim = (instance: string, victim: string, until: number) => ({
      groupId: STANDBY,
      instanceId: instanceId(instance),
      victimId: instanceId(victim),
      until,
    });
    const status = await collectStatus({
      snapshot: { ...snapshot, warmClaims: [claim('i-w1', 'i-a1', NOW + 60_000), claim('i-w2', 'i-a2', NOW - 1)] },
      capacity: capacity(),
      table: 't',
      now: NOW,
    });
    expect(status.groups.find((g) => g.group === STANDBY)?.autoScaling?.warmPool?.claims).toEqual([
      { instanceId: 'i-w1', victimId: 'i-a1', until: '2026-01-15T12:01:00.000Z' },
    ]);
    expect(formatStatus(status)).toContain('  warm instances staged for rebalance recommendations: i-w1 for i-a1 until 2026-01-15T12:01:00.000Z');
    const none = await collectStatus({ snapshot: { ...snapshot, warmClaims: [claim('i-w2', 'i-a2', NOW - 1)] }, capacity: capacity(), table: 't', now: NOW });
    expect(none.groups.find((g) => g.group === STANDBY)?.autoScaling?.warmPool).not.toHaveProperty('claims');
  });
});

describe('DynamoDbStatusReader', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterAll(() => ddb.restore());
  beforeEach(() => ddb.reset());
  const poolItem = {
    ...Keys.pool('web'),
    kind: 'pool',
    groupId: 'web',
    capacity: R(8, 32),
    allocations: {},
    version: 3,
    free_vcpu: 6,
    free_memoryGiB: 24,
    free_networkMbps: 0,
    free_diskIops: 0,
    reserved_vcpu: 2,
    reserved_memoryGiB: 8,
    reserved_networkMbps: 100,
    reserved_diskIops: 200,
    allocated_vcpu: 0,
    allocated_memoryGiB: 0,
    allocated_networkMbps: 0,
    allocated_diskIops: 0,
  };

  it('scans for pools, reservations, forecasts, requests, retraining runs and warm-pool writers only, page by page, and puts each reservation in its pool', async () => {
    const sent: Record<string, unknown>[] = [];
    const pages = [
      { Items: [toReservationItem(reservation)], Count: 1, ScannedCount: 40, LastEvaluatedKey: { pk: 'GROUP#web', sk: 'RES#x' } },
      {
        Items: [
          poolItem,
          bodyItem(Keys.forecast('i-0aaaaaaaaaaaaaaa1'), 'forecast', 'f', snapshot.forecasts[0], { instanceId: 'i-0aaaaaaaaaaaaaaa1' }),
          { pk: 'REQUEST#bad', sk: 'REQUEST', kind: 'request', requestId: 'bad', schemaVersion: 1, body: '{' },
          bodyItem(Keys.retrainingRun(NOW - 3_600_000), 'retraining-run', 'r', retrainingRun),
          { ...Keys.warmPoolWriter('web-standby'), kind: 'warm-pool-writer', groupId: 'web-standby', raises: 2, holder: 'h-1', leaseUntil: NOW },
          { ...Keys.warmPoolWriter('web'), kind: 'warm-pool-writer', groupId: 'web', raises: -1 },
          { ...Keys.warmClaim('web-standby', 'i-w1'), kind: 'warm-claim', groupId: 'web-standby', instanceId: 'i-w1', victimId: 'i-a1', claimUntil: NOW },
          { ...Keys.warmClaim('web-standby', 'i-w2'), kind: 'warm-claim', groupId: 'web-standby', instanceId: 'i-w2', claimUntil: NOW },
        ],
        Count: 8,
        ScannedCount: 12,
      },
    ];
    ddb.on(ScanCommand).callsFake((input: Record<string, unknown>) => {
      sent.push({ ...input });
      return pages[sent.length - 1];
    });
    const read = await new DynamoDbStatusReader(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'spotwise-state').readSnapshot();
    expect(sent).toEqual([
      {
        TableName: 'spotwise-state',
        FilterExpression: '#kind IN (:pool, :reservation, :forecast, :request, :retrainingrun, :warmpoolwriter, :warmclaim)',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: {
          ':pool': 'pool',
          ':reservation': 'reservation',
          ':forecast': 'forecast',
          ':request': 'request',
          ':retrainingrun': 'retraining-run',
          ':warmpoolwriter': 'warm-pool-writer',
          ':warmclaim': 'warm-claim',
        },
      },
      {
        TableName: 'spotwise-state',
        FilterExpression: '#kind IN (:pool, :reservation, :forecast, :request, :retrainingrun, :warmpoolwriter, :warmclaim)',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: {
          ':pool': 'pool',
          ':reservation': 'reservation',
          ':forecast': 'forecast',
          ':request': 'request',
          ':retrainingrun': 'retraining-run',
          ':warmpoolwriter': 'warm-pool-writer',
          ':warmclaim': 'warm-claim',
        },
        ExclusiveStartKey: { pk: 'GROUP#web', sk: 'RES#x' },
      },
    ]);
    expect([...read.pools.keys()]).toEqual(['web']);
    expect([...(read.pools.get(WEB)?.reservations.keys() ?? [])]).toEqual([reservation.id]);
    expect(read.forecasts.map((f) => f.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaa1']);
    expect(read).toMatchObject({ scanned: 52, returned: 9, requests: [], retrainingRuns: [retrainingRun] });
    expect(read.warmClaims).toEqual([{ groupId: 'web-standby', instanceId: 'i-w1', victimId: 'i-a1', until: NOW }]);
    expect(read.warmPoolWriters).toEqual([{ groupId: 'web-standby', raises: 2, holder: 'h-1', leaseUntil: NOW }]);
    expect(read.unreadable).toEqual([
      expect.stringMatching(/^REQUEST#bad \/ REQUEST: request item of bad: body is not valid JSON/),
      'GROUP#web / WARMPOOL: invalid warm-pool writer item GROUP#web / WARMPOOL: raises: Too small: expected number to be >=0 (got -1)',
      expect.stringMatching(/^GROUP#web-standby \/ WARMCLAIM#i-w2: invalid warm claim item .*victimId/),
    ]);
  });
});
