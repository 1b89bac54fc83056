import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsTarget, describeEvent, formatText, noticeJson, planEvent, retimeNotice, sampleTarget, type PlanTarget } from '../../../bin/commands/plan';
import { groupId, instanceId, requestId, type Notice } from '../../../lambda/core/domain';
import { FIXTURE_DIR, REPO_ROOT, SAMPLE_EVENTS_DIR, fixture, listJson, readJson, sampleEventFiles } from '../../events/event-fixtures';

const KIND_OF: Readonly<Record<string, string>> = {
  'EC2 Spot Instance Interruption Warning': 'spot-interruption-warning',
  'EC2 Instance Rebalance Recommendation': 'rebalance-recommendation',
  'EC2 Instance State-change Notification': 'state-change',
  'EC2 Instance-launch Lifecycle Action': 'lifecycle-launch',
  'EC2 Instance-terminate Lifecycle Action': 'lifecycle-terminate',
  'EC2 Capacity Reservation Instance Interruption Warning': 'capacity-reservation-interruption-warning',
  'AWS Health Event': 'scheduled-maintenance',
  'Interruption Requested': 'interruption-request',
  'Profile Tick': 'profile-tick',
  'Interruption Due': 'interruption-due',
};

describe('planEvent against the built-in sample fleet', () => {
  let target: ReturnType<typeof sampleTarget>;
  beforeAll(() => {
    target = sampleTarget();
  });

  const cases = [
    ...sampleEventFiles().map((f) => ['aws', join(SAMPLE_EVENTS_DIR, f)] as const),
    ...listJson(FIXTURE_DIR)
      .filter((f) => f.startsWith('spotwise-'))
      .map((f) => ['spotwise', join(FIXTURE_DIR, f)] as const),
  ];

  it.each(cases)('%s %s: the right notice and a plan, nothing executed', async (_where, file) => {
    const raw = readJson(file) as Record<string, unknown>;
    const before = target.fake.mutatingCalls().length;
    const out = await planEvent(raw, target);
    expect(out.kind).toBe('planned');
    if (out.kind !== 'planned') return;
    expect(out.notice.kind).toBe(KIND_OF[raw['detail-type'] as string] ?? 'noop');
    expect(out.plan.actions.length).toBeGreaterThan(0);
    for (const a of out.plan.actions) expect(typeof a.kind).toBe('string');
    expect(target.fake.mutatingCalls()).toHaveLength(before);
  });

  it('adopts an unknown instance into a primary group and plans a reservation for a spot warning', async () => {
    const raw = fixture('ec2-spot-instance-interruption-warning__karpenter.json');
    const out = await planEvent({ ...raw, id: 'adopt-1', detail: { 'instance-id': 'i-0fedcba987654321f', 'instance-action': 'terminate' } }, target);
    expect(out.kind === 'planned' && out.plan.actions.map((a) => a.kind)).toContain('reserve');
    expect(out.kind === 'planned' && out.notes.join('\n')).toMatch(/i-0fedcba987654321f is not in the sample fleet: adopted into group web/);
    expect(target.fake.cloud.instance(instanceId('i-0fedcba987654321f'))?.groupId).toBe('web');
  });

  it('plans for an instance the sample fleet already has, without adopting', async () => {
    const known = target.fake.cloud.allInstances().find((i) => i.groupId === 'web' && i.state === 'running' && !i.warm);
    if (known === undefined) throw new Error('the sample fleet has no running web instance');
    const raw = fixture('ec2-instance-rebalance-recommendation__aws-nth.json');
    const out = await planEvent({ ...raw, detail: { 'instance-id': known.id } }, target);
    expect(out.kind === 'planned' && out.notes.some((n) => n.includes('adopted'))).toBe(false);
    expect(out.kind === 'planned' && out.notice).toMatchObject({ kind: 'rebalance-recommendation', instanceId: known.id });
  });

  it('malformed events are reported, not planned', async () => {
    const raw = fixture('ec2-instance-state-change-notification__aws-nth.json');
    expect(await planEvent({ ...raw, detail: { 'instance-id': 'i-abcd1111' } }, target)).toMatchObject({
      kind: 'malformed',
      errors: expect.stringContaining('detail.state'),
    });
  });

  it("a real terminate lifecycle event about an unknown instance is planned as an interruption, in the event's own group, saying it was adopted", async () => {
    const t = sampleTarget();
    const raw = fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-1.json');
    const out = await planEvent(raw, t);
    if (out.kind !== 'planned') throw new Error(`not planned: ${out.errors}`);
    // The event's group name is kept: the notice, every action and the adopted instance say my-asg.
    expect(out.notice).toMatchObject({ kind: 'lifecycle-terminate', groupId: 'my-asg', instanceId: 'i-1234567890abcdef0' });
    expect(out.plan.actions.map((a) => a.kind)).toEqual(['heartbeat', 'reserve', 'change-desired-capacity', 'complete-lifecycle-action']);
    expect(out.plan.actions[1]).toMatchObject({ kind: 'reserve', reservation: { groupId: 'my-asg', instanceId: 'i-1234567890abcdef0' } });
    expect(out.plan.events.map((e) => e.kind)).toEqual(['reservation-made']);
    expect(out.plan.events.some((e) => e.kind === 'notice-ignored')).toBe(false);
    const notes = out.notes.join('\n');
    expect(notes).toContain('group my-asg is not in the sample fleet: added, configured like web');
    expect(notes).toContain('i-1234567890abcdef0 is not in the sample fleet: adopted into group my-asg');
    expect(notes).toContain('desired capacity of my-asg raised from 0 to 1 for the adopted instance');
    expect(t.fake.cloud.group(groupId('my-asg'))).toMatchObject({ desiredCapacity: 1 });
    expect(t.fake.cloud.instance(instanceId('i-1234567890abcdef0'))).toMatchObject({ groupId: 'my-asg', state: 'running' });
    expect(t.fake.mutatingCalls()).toHaveLength(0);
  });

  it("an unknown instance adopted into an existing group raises that group's desired count by one", async () => {
    const t = sampleTarget();
    const before = t.fake.cloud.group(groupId('web'))?.desiredCapacity ?? Number.NaN;
    const raw = fixture('ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-1.json');
    const out = await planEvent({ ...raw, detail: { ...(raw.detail as object), AutoScalingGroupName: 'web' } }, t);
    expect(t.fake.cloud.group(groupId('web'))?.desiredCapacity).toBe(before + 1);
    expect(out.kind === 'planned' && out.plan.actions.map((a) => a.kind)).toContain('reserve');
    expect(out.kind === 'planned' && out.notes.join('\n')).toContain(`desired capacity of web raised from ${before} to ${before + 1}`);
  });

  it.each([
    [
      'the EventBridge-shaped Auto Scaling test notification',
      {
        version: '0',
        id: 'c5b1a2d3-0000-4000-8000-000000000001',
        'detail-type': 'EC2 Instance-terminate Lifecycle Action',
        source: 'aws.autoscaling',
        account: '123456789012',
        time: '2024-05-01T12:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {
          AccountId: '123456789012',
          RequestId: 'r',
          AutoScalingGroupName: 'my-asg',
          Service: 'AWS Auto Scaling',
          Event: 'autoscaling:TEST_NOTIFICATION',
          Time: '2024-05-01T12:00:00.000Z',
        },
      },
      'Auto Scaling test notification for my-asg: nothing to do',
    ],
    [
      'a state change to Karpenter\'s "creating"',
      { ...fixture('ec2-instance-state-change-notification__aws-nth.json'), detail: { 'instance-id': 'i-abcd1111', state: 'creating' } },
      'instance state "creating" is not one spotwise acts on',
    ],
  ])('%s is a clean noop, not malformed', async (_name, raw, reason) => {
    const out = await planEvent(raw, target);
    expect(out).toMatchObject({ kind: 'planned', notice: { kind: 'noop', reason }, plan: { actions: [{ kind: 'noop', reason }] } });
  });

  it('a Capacity Reservation warning adopts the instance as On-Demand and prepares like a Spot warning', async () => {
    const out = await planEvent(fixture('ec2-capacity-reservation-instance-interruption-warning__documented-shape.json'), target);
    if (out.kind !== 'planned') throw new Error('not planned');
    expect(out.notice).toMatchObject({ kind: 'capacity-reservation-interruption-warning', instanceId: 'i-0c4e8a2b6d1f3a5c7', deadline: target.now + 120_000 });
    expect(out.notes.join('\n')).toContain('adopted into group web as an on-demand');
    expect(out.plan.actions[0]).toMatchObject({
      kind: 'reserve',
      reservation: { id: 'warning:3f6c2a9e-5b1d-4e7a-9c0f-2d8b7a6e1c45:i-0c4e8a2b6d1f3a5c7', expiresAt: target.now + 120_000 + 40 * 60_000 },
    });
  });

  it('AWS Health scheduled maintenance keeps its lead: the request is due by the start time, two weeks after the sample clock', async () => {
    const out = await planEvent(fixture('aws-health-ec2-instance-retirement-scheduled__documented-shape.json'), target);
    if (out.kind !== 'planned' || out.notice.kind !== 'scheduled-maintenance') throw new Error('not planned as scheduled maintenance');
    expect(out.notice.startTime - out.notice.at).toBe(14 * 24 * 3600_000);
    expect(out.notice.requests[0]).toMatchObject({ notBefore: target.now, deadline: target.now + 14 * 24 * 3600_000, mode: 'terminate' });
    expect(noticeJson(out.notice)).toMatchObject({ instanceIds: ['i-0d5f9b3c7e2a4b6d8'] });
  });
});

describe('retimeNotice', () => {
  it.each<[string, Notice, Partial<Record<string, unknown>>]>([
    [
      'a warning keeps its 120 s lead',
      { kind: 'spot-interruption-warning', eventId: 'e', at: 1_000, instanceId: instanceId('i-00000001'), action: 'terminate', deadline: 121_000 },
      { at: 10_000, deadline: 130_000 },
    ],
    ['a state change moves', { kind: 'state-change', eventId: 'e', at: 1_000, instanceId: instanceId('i-00000001'), state: 'running' }, { at: 10_000 }],
  ])('%s', (_n, notice, expected) => {
    expect(retimeNotice(notice, 10_000)).toMatchObject(expected);
  });

  it('a request keeps its window', () => {
    const n: Notice = {
      kind: 'interruption-request',
      eventId: 'e',
      at: 0,
      request: {
        requestId: requestId('r'),
        selector: { kind: 'instance', instanceId: instanceId('i-00000001') },
        reason: 'x',
        notBefore: 300,
        deadline: 900,
        mode: 'stop',
        requestedAt: 0,
      },
    };
    expect(retimeNotice(n, 1_000)).toMatchObject({ at: 1_000, request: { notBefore: 1_300, deadline: 1_900, requestedAt: 1_000 } });
    expect(noticeJson(n)).toMatchObject({ kind: 'interruption-request', instanceId: 'i-00000001' });
  });
});

describe('--aws target', () => {
  const config = JSON.stringify({
    groups: [{ name: 'web', policy: 'p', capacity: { vcpu: 8, memory_gib: 32 } }],
    policies: [{ policy_name: 'p', priority: 50 }],
  });

  it('refuses every mutating call (read-only), without touching the network', async () => {
    const t: PlanTarget = await awsTarget({}, { SPOTWISE_CONFIG: config, AWS_REGION: 'us-east-1' });
    await expect(t.ports.capacity.changeDesiredCapacity('web' as never, 1)).rejects.toThrow('spotwise plan --aws is read-only: refusing changeDesiredCapacity');
    await expect(t.ports.instances.stopInstances([instanceId('i-00000001')])).rejects.toThrow('refusing stopInstances');
    await expect(t.ports.state.markEventProcessed('e', 0)).rejects.toThrow('refusing markEventProcessed');
    await expect(t.ports.state.reserve({} as never)).rejects.toThrow('refusing reserve');
  });

  it('needs a configuration', async () => {
    await expect(awsTarget({}, {})).rejects.toThrow('--aws needs the spotwise configuration: --config FILE, or SPOTWISE_CONFIG (JSON)');
  });
});

describe('spotwise plan (spawned CLI)', () => {
  const run = (...args: string[]) => {
    const r = spawnSync('npx', ['tsx', 'bin/cli.ts', 'plan', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    return {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('npm warn'))
        .join('\n'),
    };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'spotwise-plan-'));

  it('--json prints exactly one JSON object with the notice and the plan', () => {
    const r = run('--event', join(FIXTURE_DIR, 'ec2-spot-instance-interruption-warning__karpenter.json'), '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { notice: { kind: string; instanceId: string }; plan: { actions: { kind: string }[] } };
    expect(Object.keys(out)).toEqual(['notice', 'plan']);
    expect(out.notice).toMatchObject({ kind: 'spot-interruption-warning', instanceId: 'i-0123456789' });
    expect(out.plan.actions.map((a) => a.kind)).toContain('reserve');
  });

  it('an unknown detail-type prints kind noop and exits 0', () => {
    const r = run('--event', join(SAMPLE_EVENTS_DIR, 'ec2-fleet-error__awsdocs-ec2-ug.json'), '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ notice: { kind: 'noop' }, plan: { actions: [{ kind: 'noop' }] } });
  });

  it('the text output names the notice and numbers the actions', () => {
    const r = run('--event', join(FIXTURE_DIR, 'ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-2.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Notice: lifecycle-terminate {2}instance i-1234567890abcdef0/m);
    expect(r.stdout).toMatch(/^ {2}1\. complete lifecycle action my-termination-lifecycle-hook/m);
  });

  it('a malformed event exits non-zero naming the field and the value', () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...fixture('ec2-spot-instance-interruption-warning__karpenter.json'),
        detail: { 'instance-id': 'i-XYZ', 'instance-action': 'terminate' },
      }),
    );
    const r = run('--event', file, '--json');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('detail.instance-id: expected an EC2 instance id like "i-0123456789abcdef0" (got "i-XYZ")');
  });

  it('done when: a Capacity Reservation warning gives its notice kind and a non-empty plan', () => {
    const r = run('--event', join(FIXTURE_DIR, 'ec2-capacity-reservation-instance-interruption-warning__documented-shape.json'), '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { notice: { kind: string; instanceId: string }; plan: { actions: { kind: string }[] } };
    expect(out.notice).toMatchObject({ kind: 'capacity-reservation-interruption-warning', instanceId: 'i-0c4e8a2b6d1f3a5c7' });
    expect(out.plan.actions.map((a) => a.kind)).toEqual(['reserve', 'change-desired-capacity']);
  });

  it('done when: an AWS Health scheduled change gives scheduled-maintenance, a reservation and a scheduled interruption', () => {
    const r = run('--event', join(FIXTURE_DIR, 'aws-health-ec2-instance-retirement-scheduled__documented-shape.json'), '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      notice: { kind: string; instanceIds: string[] };
      plan: { actions: Record<string, unknown>[]; events: { kind: string }[] };
    };
    expect(out.notice).toMatchObject({ kind: 'scheduled-maintenance', instanceIds: ['i-0d5f9b3c7e2a4b6d8'] });
    expect(out.plan.actions.map((a) => a.kind)).toEqual(['reserve', 'schedule-interruption']);
    expect(out.plan.actions[1]).toMatchObject({
      kind: 'schedule-interruption',
      instanceId: 'i-0d5f9b3c7e2a4b6d8',
      mode: 'terminate',
      requestId: expect.stringMatching(/^maint-/) as unknown,
    });
    expect(out.plan.events.map((e) => e.kind)).toEqual(['reservation-made', 'interruption-scheduled']);
  });

  it('the text output of a real terminate lifecycle event about an unknown instance says it was adopted and plans the interruption', () => {
    const r = run('--event', join(FIXTURE_DIR, 'ec2-instance-terminate-lifecycle-action__awsdocs-asg-ug-1.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Notice: lifecycle-terminate {2}instance i-1234567890abcdef0 {2}group my-asg/m);
    expect(r.stdout).toContain('i-1234567890abcdef0 is not in the sample fleet: adopted into group my-asg');
    expect(r.stdout).toMatch(/^ {2}2\. reserve .* in my-asg for i-1234567890abcdef0/m);
    expect(r.stdout).not.toContain('scales in');
  });

  it('a file that is not JSON exits non-zero saying so', () => {
    const file = join(tmp, 'not.json');
    writeFileSync(file, '{ nope');
    expect(run('--event', file)).toMatchObject({ status: 1, stderr: expect.stringContaining(`spotwise plan: ${file} is not JSON`) });
  });
});

describe('spotwise plan reports an unstable Spot pool', () => {
  it('a warning in a pool past its reclaim threshold: the shift to the On-Demand standby is in the plan and the text output', async () => {
    const t = sampleTarget();
    const web = t.managed.groups.get(groupId('web'));
    if (web === undefined) throw new Error('the sample fleet has no web group');
    const unstablePool = { enabled: true, reclaimThreshold: 1, windowMinutes: 60, coolDownMinutes: 120 };
    const target: PlanTarget = {
      ...t,
      managed: { ...t.managed, groups: new Map([...t.managed.groups, [web.id, { ...web, policy: { ...web.policy, unstablePool } }]]) },
    };
    const victim = t.fake.cloud.allInstances().find((i) => i.groupId === 'web' && i.state === 'running' && !i.warm && i.lifecycle === 'spot');
    if (victim === undefined) throw new Error('the sample fleet has no running Spot web instance');
    const raw = fixture('ec2-spot-instance-interruption-warning__karpenter.json');
    const out = await planEvent({ ...raw, detail: { 'instance-id': victim.id, 'instance-action': 'terminate' } }, target);
    if (out.kind !== 'planned') throw new Error('not planned');
    expect(out.plan.events).toContainEqual(
      expect.objectContaining({
        kind: 'spot-pool-unstable',
        groupId: 'web',
        instanceType: victim.instanceType,
        availabilityZone: victim.availabilityZone,
        standbyGroupId: 'standby',
      }),
    );
    expect(out.plan.actions.at(-1)).toMatchObject({ kind: 'record-pool-signal', groupId: 'web', signal: { instanceId: victim.id, signal: 'spot-warning' } });
    expect(out.plan.actions.at(-2)).toMatchObject({
      kind: 'reserve',
      reservation: { id: expect.stringMatching(new RegExp(`^reclaim:${victim.instanceType.replace('.', '\\.')}@${victim.availabilityZone}:`)) as unknown },
    });
    const text = formatText(out, target, 'warning.json');
    expect(text).toContain(
      `spot-pool-unstable: ${victim.instanceType} in ${victim.availabilityZone} of web had 1 Spot reclaims in 60 min; replacement capacity goes to On-Demand standby standby until ${new Date(target.now + 120 * 60_000).toISOString()}`,
    );
    expect(
      describeEvent({ kind: 'spot-pool-calmed', at: 0, groupId: groupId('web'), instanceType: 'm5.large', availabilityZone: 'us-east-1a', unstableUntil: 0 }),
    ).toBe('spot-pool-calmed: m5.large in us-east-1a of web calmed (unstable until 1970-01-01T00:00:00.000Z); the group relies on it again');
  });
});
