import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Notice } from '../../lambda/core/domain';
import { DetailType, SPOT_WARNING_LEAD_SECONDS } from '../../lambda/contracts/events';
import { handledEventTypes, parseEvent, type ParseResult } from '../../lambda/events/registry';
import { FIXTURE_DIR, SAMPLE_EVENTS_DIR, fixture, listJson, readJson, sampleEventFiles } from './event-fixtures';

const RECEIVED_AT = Date.UTC(2024, 4, 1, 12, 0, 0);

/** What each detail-type must become; anything not listed is a neighbour and must be a noop. */
const EXPECTED_KIND: Readonly<Record<string, Notice['kind']>> = {
  [DetailType.spotInterruptionWarning]: 'spot-interruption-warning',
  [DetailType.rebalanceRecommendation]: 'rebalance-recommendation',
  [DetailType.stateChange]: 'state-change',
  [DetailType.lifecycleLaunch]: 'lifecycle-launch',
  [DetailType.lifecycleTerminate]: 'lifecycle-terminate',
  [DetailType.capacityReservationInterruptionWarning]: 'capacity-reservation-interruption-warning',
  // Every Health sample in the shared data is an EC2 scheduledChange naming an instance.
  [DetailType.healthEvent]: 'scheduled-maintenance',
  [DetailType.interruptionRequested]: 'interruption-request',
  [DetailType.profileTick]: 'profile-tick',
  [DetailType.interruptionDue]: 'interruption-due',
};

const notice = (r: ParseResult): Notice => {
  if (r.kind !== 'notice') throw new Error(`expected a notice, got malformed: ${r.errors}`);
  return r.notice;
};

const instanceOf = (n: Notice): string | undefined =>
  n.kind === 'scheduled-maintenance'
    ? n.requests.map((r) => (r.selector.kind === 'instance' ? r.selector.instanceId : '')).join(',')
    : 'instanceId' in n
      ? n.instanceId
      : undefined;

const entityOf = (detail: Record<string, unknown>): string | undefined =>
  Array.isArray(detail.affectedEntities) ? (detail.affectedEntities as { entityValue: string }[]).map((e) => e.entityValue).join(',') : undefined;

describe('every AWS EventBridge sample (../shared when beside the repository, else the bundled copies)', () => {
  const files = sampleEventFiles();

  it('finds the samples', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('%s becomes the right notice', (file) => {
    const raw = readJson(join(SAMPLE_EVENTS_DIR, file)) as Record<string, unknown>;
    const detail = raw.detail as Record<string, unknown>;
    const n = notice(parseEvent(raw, { receivedAt: RECEIVED_AT }));
    const expected = EXPECTED_KIND[raw['detail-type'] as string] ?? 'noop';
    expect(n.kind).toBe(expected);
    expect(n.eventId).toBe(raw.id);
    if (n.kind === 'noop') {
      expect(n.detailType).toBe(raw['detail-type']);
      return;
    }
    // The instance comes from the detail, never from the (inconsistent) resource ARNs.
    expect(instanceOf(n)).toBe(detail['instance-id'] ?? detail.EC2InstanceId ?? entityOf(detail));
  });
});

describe('key event types, field by field', () => {
  it('spot warning: action and a deadline two minutes after the event time', () => {
    const n = notice(parseEvent(fixture('ec2-spot-instance-interruption-warning__karpenter.json')));
    expect(n).toEqual({
      kind: 'spot-interruption-warning',
      eventId: '1e5527d7-bb36-4607-3370-4164db56a40e',
      at: Date.parse('2022-08-11T14:00:00Z'),
      instanceId: 'i-0123456789',
      action: 'terminate',
      deadline: Date.parse('2022-08-11T14:00:00Z') + SPOT_WARNING_LEAD_SECONDS * 1000,
    });
  });

  it.each([['stop'], ['hibernate'], ['terminate'], ['STOP']])('spot warning instance-action %s is kept', (action) => {
    const raw = fixture('ec2-spot-instance-interruption-warning__karpenter.json');
    const n = notice(parseEvent({ ...raw, detail: { ...(raw.detail as object), 'instance-action': action } }));
    expect(n.kind === 'spot-interruption-warning' && n.action).toBe(action.toLowerCase());
  });

  it('AWS doc placeholders: time falls back to the receive time, "action" to terminate, both with warnings', () => {
    const r = parseEvent(fixture('ec2-spot-instance-interruption-warning__awsdocs-ec2-ug.json'), { receivedAt: RECEIVED_AT });
    expect(r.kind).toBe('notice');
    if (r.kind !== 'notice') return;
    expect(r.notice).toMatchObject({ kind: 'spot-interruption-warning', at: RECEIVED_AT, action: 'terminate', deadline: RECEIVED_AT + 120_000 });
    expect(r.warnings).toEqual([
      expect.stringContaining('time "yyyy-mm-ddThh:mm:ssZ" is not an ISO-8601 timestamp; using the receive time 2024-05-01T12:00:00.000Z'),
      expect.stringContaining('detail.instance-action "action" is not terminate, stop or hibernate; assuming terminate'),
    ]);
  });

  it('a placeholder time without a receive time is malformed, naming the field', () => {
    const r = parseEvent(fixture('ec2-spot-instance-interruption-warning__awsdocs-ec2-ug.json'));
    expect(r).toMatchObject({ kind: 'malformed', detailType: DetailType.spotInterruptionWarning });
    expect(r.kind === 'malformed' && r.errors).toContain('time: time "yyyy-mm-ddThh:mm:ssZ" is not an ISO-8601 timestamp and no receive time was given');
  });

  it('millisecond-precision times are kept exactly', () => {
    const n = notice(parseEvent(fixture('ec2-instance-launch-lifecycle-action__awsdocs-asg-ug-3.json')));
    expect(n.kind !== 'noop' && n.at).toBe(Date.parse('2021-01-19T00:35:52.359Z'));
  });

  it('state change keeps the state', () => {
    expect(notice(parseEvent(fixture('ec2-instance-state-change-notification__aws-nth.json')))).toMatchObject({
      kind: 'state-change',
      instanceId: 'i-abcd1111',
      state: 'pending',
    });
  });

  it.each([
    [
      'ec2-instance-launch-lifecycle-action__awsdocs-asg-ug-3.json',
      { kind: 'lifecycle-launch', origin: 'WarmPool', destination: 'AutoScalingGroup', hookName: 'my-launch-lifecycle-hook' },
    ],
    ['ec2-instance-launch-lifecycle-action__awsdocs-asg-ug-4.json', { kind: 'lifecycle-launch', origin: 'EC2', destination: 'AutoScalingGroup' }],
    [
      'ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-2.json',
      { kind: 'lifecycle-terminate', origin: 'AutoScalingGroup', destination: 'WarmPool', token: '42694b3d-4b70-6a62-8523-09a1eEXAMPLE' },
    ],
  ])('lifecycle action %s keeps group, hook, token, origin and destination', (file, expected) => {
    expect(notice(parseEvent(fixture(file), { receivedAt: RECEIVED_AT }))).toMatchObject({ groupId: 'my-asg', instanceId: 'i-1234567890abcdef0', ...expected });
  });

  it('lifecycle action without Origin/Destination has neither', () => {
    const n = notice(parseEvent(fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-1.json'), { receivedAt: RECEIVED_AT }));
    expect(n).not.toHaveProperty('origin');
    expect(n).not.toHaveProperty('destination');
  });
});

describe('interruptible Capacity Reservation warnings (EC2 User Guide, "Monitor interruptible Capacity Reservations with EventBridge and CloudTrail")', () => {
  it('the documented shape: the instance, the termination time as the deadline, the AZ id', () => {
    expect(parseEvent(fixture(CR_FIXTURE))).toEqual({
      kind: 'notice',
      warnings: [],
      notice: {
        kind: 'capacity-reservation-interruption-warning',
        eventId: '3f6c2a9e-5b1d-4e7a-9c0f-2d8b7a6e1c45',
        at: Date.parse('2026-01-15T10:00:00Z'),
        instanceId: 'i-0c4e8a2b6d1f3a5c7',
        deadline: Date.parse('2026-01-15T10:02:00Z'),
        availabilityZoneId: 'use1-az1',
      },
    });
  });

  it("the page's sample (placeholders) with a real instance id: receive time, a two-minute deadline, warnings", () => {
    // `resources` is a list, as EventBridge sends it (the page prints one string there).
    const literal = {
      version: '0',
      id: '12345678-1234-1234-1234-123456789012',
      'detail-type': 'EC2 Capacity Reservation Instance Interruption Warning',
      source: 'aws.ec2',
      account: '[instance owner Account ID]',
      time: '[Current time in yyyy-mm-ddThh:mm:ssZ]',
      resources: ['[instance arn]'],
      region: '[region]',
      detail: {
        'instance-id': 'i-0c4e8a2b6d1f3a5c7',
        'instance-action': 'terminate',
        'instance-termination-time': 'yyyy-mm-ddThh:mm:ssZ',
        azId: '[availability-zone-id]',
      },
    };
    const r = parseEvent(literal, { receivedAt: RECEIVED_AT });
    expect(r).toMatchObject({
      kind: 'notice',
      notice: { kind: 'capacity-reservation-interruption-warning', at: RECEIVED_AT, deadline: RECEIVED_AT + 120_000 },
    });
    expect(r.kind === 'notice' && r.warnings).toEqual([
      expect.stringContaining('time "[Current time in yyyy-mm-ddThh:mm:ssZ]" is not an ISO-8601 timestamp'),
      'detail.instance-termination-time "yyyy-mm-ddThh:mm:ssZ" is not an ISO-8601 time; assuming termination two minutes after the event',
    ]);
  });

  it('an action other than terminate is reported and taken as terminate', () => {
    const r = parseEvent(withDetail(fixture(CR_FIXTURE), { 'instance-action': 'stop' }));
    expect(r).toMatchObject({
      kind: 'notice',
      notice: { kind: 'capacity-reservation-interruption-warning' },
      warnings: ['detail.instance-action "stop" is not terminate; treating it as terminate'],
    });
  });
});

describe('AWS Health scheduled changes (AWS Health User Guide, EventBridge schema)', () => {
  it('the documented shape: one terminate request per affected instance, due by the start time', () => {
    const at = Date.parse('2026-01-15T10:00:00Z');
    expect(notice(parseEvent(fixture(HEALTH_FIXTURE)))).toEqual({
      kind: 'scheduled-maintenance',
      eventId: '8a1d4c7e-2f3b-4a6d-b9e0-5c7f1a2d3e4b',
      at,
      eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
      startTime: Date.parse('2026-01-29T10:00:00Z'),
      requests: [
        {
          requestId: expect.stringMatching(/^maint-[0-9a-f]{8}-i-0d5f9b3c7e2a4b6d8$/) as unknown,
          selector: { kind: 'instance', instanceId: 'i-0d5f9b3c7e2a4b6d8' },
          reason: 'AWS Health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED starts 2026-01-29T10:00:00.000Z',
          notBefore: at,
          deadline: Date.parse('2026-01-29T10:00:00Z'),
          mode: 'terminate',
          requestedAt: at,
        },
      ],
    });
  });

  it('several instances (and a volume) become one request per instance, sorted; a repeat of an instance counts once', () => {
    const n = notice(
      parseEvent(
        withDetail(fixture(HEALTH_FIXTURE), {
          affectedEntities: [
            { entityValue: 'i-0bbbbbbbbbbbbbbbb' },
            { entityValue: 'vol-0123456789abcdef0' },
            { entityValue: 'i-0aaaaaaaaaaaaaaaa' },
            { entityValue: 'i-0bbbbbbbbbbbbbbbb' },
          ],
        }),
      ),
    );
    expect(n.kind === 'scheduled-maintenance' && n.requests.map((r) => r.selector)).toEqual([
      { kind: 'instance', instanceId: 'i-0aaaaaaaaaaaaaaaa' },
      { kind: 'instance', instanceId: 'i-0bbbbbbbbbbbbbbbb' },
    ]);
  });

  it('an updated delivery of the same Health event (new EventBridge id, same ARN) is the same request; another event is another', () => {
    const ids = (raw: Record<string, unknown>) => {
      const n = notice(parseEvent(raw));
      return n.kind === 'scheduled-maintenance' ? n.requests.map((r) => r.requestId) : [];
    };
    const first = ids(fixture(HEALTH_FIXTURE));
    expect(ids({ ...fixture(HEALTH_FIXTURE), id: 'another-delivery', time: '2026-01-20T10:00:00Z' })).toEqual(first);
    expect(
      ids(withDetail(fixture(HEALTH_FIXTURE), { eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED/x' })),
    ).not.toEqual(first);
    expect(first[0]?.length).toBeLessThanOrEqual(64);
  });

  it('an ISO-8601 start time is read as well as RFC 1123', () => {
    const n = notice(parseEvent(withDetail(fixture(HEALTH_FIXTURE), { startTime: '2026-01-29T10:00:00Z' })));
    expect(n.kind === 'scheduled-maintenance' && n.startTime).toBe(Date.parse('2026-01-29T10:00:00Z'));
  });
});

describe("spotwise's own events", () => {
  it('interruption request for an instance', () => {
    expect(notice(parseEvent(fixture('spotwise-interruption-requested-instance.json')))).toEqual({
      kind: 'interruption-request',
      eventId: '6f1c3f8e-2b7d-4f47-9a53-0c1e9d2f4a11',
      at: Date.parse('2024-05-01T12:00:00Z'),
      request: {
        requestId: 'patch-2024-05-01-web',
        selector: { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' },
        reason: 'kernel patch',
        notBefore: Date.parse('2024-05-01T12:05:00Z'),
        deadline: Date.parse('2024-05-01T18:00:00Z'),
        mode: 'stop',
        requestedAt: Date.parse('2024-05-01T12:00:00Z'),
      },
    });
  });

  it('interruption request for a group: id from the event, defaults for notBefore, deadline and mode', () => {
    const at = Date.parse('2024-05-01T12:00:00Z');
    const n = notice(parseEvent(fixture('spotwise-interruption-requested-group.json')));
    expect(n).toMatchObject({
      kind: 'interruption-request',
      request: {
        requestId: 'req-0b9d6a44-5c1e-4e3b-8f0a-7d2c9e1b3f55',
        selector: { kind: 'group', groupId: 'web-asg', maxPriority: 40 },
        notBefore: at,
        deadline: at + 6 * 3600_000,
        mode: 'stop',
      },
    });
  });

  it('profile tick without id or time takes the receive time and a derived id', () => {
    expect(parseEvent(fixture('spotwise-profile-tick.json'), { receivedAt: 600_000 })).toEqual({
      kind: 'notice',
      warnings: [],
      notice: { kind: 'profile-tick', eventId: 'profile-tick:web-asg:600000', at: 600_000, groupId: 'web-asg' },
    });
  });

  it('interruption due: the event id is derived from the request so a double delivery is deduplicated', () => {
    const a = notice(parseEvent(fixture('spotwise-interruption-due.json'), { receivedAt: 1 }));
    const b = notice(parseEvent(fixture('spotwise-interruption-due.json'), { receivedAt: 2 }));
    expect(a).toMatchObject({
      kind: 'interruption-due',
      eventId: `interruption-due:patch-2024-05-01-web:${Date.parse('2024-05-01T12:05:00Z')}`,
      groupId: 'web-asg',
      mode: 'stop',
    });
    expect(b.eventId).toBe(a.eventId);
  });
});

const spot = () => fixture('ec2-spot-instance-interruption-warning__karpenter.json');
const CR_FIXTURE = 'ec2-capacity-reservation-instance-interruption-warning__documented-shape.json';
const HEALTH_FIXTURE = 'aws-health-ec2-instance-retirement-scheduled__documented-shape.json';
const withDetail = (raw: Record<string, unknown>, patch: Record<string, unknown>) => ({ ...raw, detail: { ...(raw.detail as object), ...patch } });
const request = () => fixture('spotwise-interruption-requested-instance.json');

describe('malformed events are reported, naming the field and the value', () => {
  it.each<[string, unknown, string]>([
    ['not an object', 42, '(root)'],
    ['no detail-type', { source: 'aws.ec2', detail: {} }, 'detail-type'],
    [
      'spot warning with a bad instance id',
      withDetail(spot(), { 'instance-id': 'i-XYZ' }),
      'detail.instance-id: expected an EC2 instance id like "i-0123456789abcdef0" (got "i-XYZ")',
    ],
    ['spot warning with a 7-digit id', withDetail(spot(), { 'instance-id': 'i-1234567' }), '(got "i-1234567")'],
    ['spot warning without instance id', { ...spot(), detail: { 'instance-action': 'terminate' } }, 'detail.instance-id'],
    ['spot warning without an id', { ...spot(), id: undefined }, 'id: required for aws.ec2 events'],
    [
      'state change without a state',
      { ...fixture('ec2-instance-state-change-notification__aws-nth.json'), detail: { 'instance-id': 'i-abcd1111' } },
      'detail.state',
    ],
    ['state change with a state that is not text', withDetail(fixture('ec2-instance-state-change-notification__aws-nth.json'), { state: 7 }), 'detail.state'],
    ['capacity reservation warning with a bad instance id', withDetail(fixture(CR_FIXTURE), { 'instance-id': '[instance-id]' }), 'detail.instance-id'],
    ['capacity reservation warning without an action', { ...fixture(CR_FIXTURE), detail: { 'instance-id': 'i-0c4e8a2b6d1f3a5c7' } }, 'detail.instance-action'],
    ['Health EC2 scheduled change with an unreadable start time', withDetail(fixture(HEALTH_FIXTURE), { startTime: 'next week' }), 'detail.startTime'],
    ['Health EC2 scheduled change without an event ARN', withDetail(fixture(HEALTH_FIXTURE), { eventArn: '' }), 'detail.eventArn'],
    ['Health event without a service', { ...fixture(HEALTH_FIXTURE), detail: { eventTypeCategory: 'scheduledChange' } }, 'detail.service'],
    [
      'launch action with a terminate transition',
      withDetail(fixture('ec2-instance-launch-lifecycle-action__awsdocs-asg-ug-3.json'), { LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' }),
      'detail.LifecycleTransition',
    ],
    [
      'lifecycle action with an unknown destination',
      withDetail(fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-2.json'), { Destination: 'Moon' }),
      'detail.Destination',
    ],
    [
      'lifecycle action without a token',
      withDetail(fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-2.json'), { LifecycleActionToken: '' }),
      'detail.LifecycleActionToken',
    ],
    ['request with both instance and group', withDetail(request(), { groupName: 'web' }), 'detail.instanceId: give exactly one of instanceId or groupName'],
    ['request with neither', { ...request(), detail: { reason: 'x' } }, 'give exactly one'],
    [
      'request with a deadline before notBefore',
      withDetail(request(), { deadline: '2024-05-01T12:00:00Z' }),
      'detail.deadline: deadline must be after notBefore',
    ],
    ['request with an unparsable deadline', withDetail(request(), { deadline: 'tomorrow' }), 'detail.deadline'],
    ['request with a bad mode', withDetail(request(), { mode: 'reboot' }), 'detail.mode'],
    ['request with a request id unfit for a schedule name', withDetail(request(), { requestId: 'has space' }), 'detail.requestId'],
    ['tick without a group', { source: 'spotwise', 'detail-type': 'Profile Tick', detail: {} }, 'detail.groupName'],
  ])('%s', (_name, raw, message) => {
    const r = parseEvent(raw, { receivedAt: RECEIVED_AT });
    expect(r.kind).toBe('malformed');
    expect(r.kind === 'malformed' && r.errors).toContain(message);
  });

  it('keeps source, detail-type and id on a malformed result so the handler can log them', () => {
    expect(parseEvent(withDetail(spot(), { 'instance-id': 'nope' }))).toMatchObject({
      kind: 'malformed',
      source: 'aws.ec2',
      detailType: DetailType.spotInterruptionWarning,
      eventId: '1e5527d7-bb36-4607-3370-4164db56a40e',
    });
  });
});

describe('noop for what spotwise does not act on', () => {
  it('an unknown detail-type from a known source', () => {
    expect(notice(parseEvent({ ...spot(), 'detail-type': 'EC2 Something New' }))).toMatchObject({
      kind: 'noop',
      source: 'aws.ec2',
      detailType: 'EC2 Something New',
    });
  });

  it('a known detail-type from another source is not trusted', () => {
    expect(notice(parseEvent({ ...request(), source: 'someone.else' })).kind).toBe('noop');
  });

  it.each([
    ['Karpenter\'s "creating"', 'creating'],
    ['a future state', 'rebooting'],
  ])('a state change to an unknown state (%s) is a clean noop, not malformed', (_name, state) => {
    const r = parseEvent(withDetail(fixture('ec2-instance-state-change-notification__aws-nth.json'), { state }), { receivedAt: RECEIVED_AT });
    expect(r).toEqual({
      kind: 'notice',
      warnings: [],
      notice: {
        kind: 'noop',
        eventId: '7bf73129-1428-4cd3-a780-95db273d1602',
        reason: `instance state "${state}" is not one spotwise acts on`,
        source: 'aws.ec2',
        detailType: DetailType.stateChange,
      },
    });
  });

  it.each([
    ['terminate', DetailType.lifecycleTerminate, { LifecycleTransition: 'autoscaling:TEST_NOTIFICATION' }],
    ['launch', DetailType.lifecycleLaunch, { Event: 'autoscaling:TEST_NOTIFICATION' }],
  ])("Auto Scaling's test notification on the %s rule is a clean noop, not a malformed lifecycle action", (_name, detailType, marker) => {
    const raw = {
      version: '0',
      id: 'c5b1a2d3-0000-4000-8000-000000000001',
      'detail-type': detailType,
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2024-05-01T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        AccountId: '123456789012',
        RequestId: 'b36d6757-57c7-11e8-a9ca-b3409db76d91',
        AutoScalingGroupARN: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/my-asg',
        AutoScalingGroupName: 'my-asg',
        Service: 'AWS Auto Scaling',
        Time: '2024-05-01T12:00:00.000Z',
        ...marker,
      },
    };
    expect(notice(parseEvent(raw))).toEqual({
      kind: 'noop',
      eventId: raw.id,
      reason: 'Auto Scaling test notification for my-asg: nothing to do',
      source: 'aws.autoscaling',
      detailType,
    });
  });

  it.each([
    ['another service', { service: 'RDS' }, 'AWS Health event for service RDS, category scheduledChange: spotwise acts only on EC2 scheduledChange events'],
    ['an EC2 issue', { eventTypeCategory: 'issue' }, 'AWS Health event for service EC2, category issue: spotwise acts only on EC2 scheduledChange events'],
    [
      'an EC2 account notification',
      { eventTypeCategory: 'accountNotification' },
      'AWS Health event for service EC2, category accountNotification: spotwise acts only on EC2 scheduledChange events',
    ],
    [
      'an EC2 scheduled change naming only volumes',
      { affectedEntities: [{ entityValue: 'vol-0123456789abcdef0' }] },
      'AWS Health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED names no EC2 instance among its affected entities',
    ],
  ])('an unrelated AWS Health event (%s) is a noop', (_name, patch, reason) => {
    expect(notice(parseEvent(withDetail(fixture(HEALTH_FIXTURE), patch)))).toMatchObject({
      kind: 'noop',
      reason,
      source: 'aws.health',
      detailType: 'AWS Health Event',
    });
  });

  it('tolerates extra fields the samples do not have', () => {
    expect(notice(parseEvent(withDetail(spot(), { 'new-field': 1 }))).kind).toBe('spot-interruption-warning');
  });
});

describe('properties', () => {
  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        const r = parseEvent(raw, { receivedAt: 0 });
        expect(['notice', 'malformed']).toContain(r.kind);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated real events', () => {
    const samples = listJson(FIXTURE_DIR).map((f) => readJson(join(FIXTURE_DIR, f)) as Record<string, unknown>);
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.string(), fc.anything(), (raw, key, value) => {
        const detail = raw.detail as Record<string, unknown>;
        const r = parseEvent({ ...raw, detail: { ...detail, [key]: value } }, { receivedAt: 0 });
        expect(['notice', 'malformed']).toContain(r.kind);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts exactly the instance ids i- + 8..17 lowercase hex digits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefgA'), minLength: 0, maxLength: 20 }), (digits) => {
        const r = parseEvent(withDetail(spot(), { 'instance-id': `i-${digits}` }));
        const valid = /^[0-9a-f]{8,17}$/.test(digits);
        expect(r.kind === 'notice').toBe(valid);
      }),
      { numRuns: 300 },
    );
  });

  it('the registry handles each (source, detail-type) once', () => {
    const keys = handledEventTypes().map((t) => `${t.source}/${t.detailType}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(11);
  });
});
