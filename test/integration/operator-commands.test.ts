import { GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awsClientConfig } from '../../lambda/adapters/aws-clients';
import { scheduleNameFor } from '../../lambda/adapters/scheduler-interruption-scheduler';
import { requestId } from '../../lambda/core/domain';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import type { StatusReport } from '../../bin/commands/status';
import { describeWithMoto } from './moto';
import { BUS, GROUP, SCHEDULE_GROUP, SIBLING, TABLE, VICTIM, buildOperatorWorld, runCli, type OperatorWorld } from './operator-world';

describeWithMoto('spotwise status, request, cancel and explain against moto (real HTTP), with the real coordinator', (moto) => {
  let world: OperatorWorld;
  let aws: string[];
  let patchId = '';
  let batchId = '';

  /** Delivers what the bus's request rule routed to the coordinator, as EventBridge would. */
  const deliverToCoordinator = async (): Promise<unknown[]> => {
    const events = await world.delivered();
    world.cloud.clock.set(Date.now());
    const results: unknown[] = [];
    for (const e of events) results.push(await makeCoordinator(world.deps)(e));
    return results;
  };

  const statusJson = async (): Promise<StatusReport> => {
    const run = await runCli(['status', '--json', ...aws, '--table', TABLE]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as StatusReport;
  };

  beforeAll(async () => {
    world = await buildOperatorWorld(moto().clientOptions, Date.now());
    aws = ['--endpoint', moto().endpoint];
  });
  afterAll(() => world?.destroy());

  it('request: the event lands on the bus, and the coordinator admits and schedules it', async () => {
    const run = await runCli(['request', '--instance', VICTIM, '--reason', 'kernel patch', '--not-before', '+10m', '--deadline', '+3h', ...aws, '--bus', BUS]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const match = /^request (req-\d{8}T\d{6}Z-[0-9a-f]{6}) sent to bus spotwise-operator-bus \(event [0-9a-f-]+\)$/m.exec(run.stdout);
    expect(match).not.toBeNull();
    patchId = match?.[1] ?? '';
    expect(run.stdout).toContain(`  stop instance ${VICTIM}: kernel patch`);

    const results = await deliverToCoordinator();
    expect(results).toMatchObject([{ status: 'planned', noticeKind: 'interruption-request', actions: ['reserve', 'schedule-interruption'], succeeded: true }]);
    const schedules = new SchedulerClient(awsClientConfig(moto().clientOptions));
    const schedule = await schedules.send(new GetScheduleCommand({ Name: scheduleNameFor(patchId), GroupName: SCHEDULE_GROUP }));
    schedules.destroy();
    expect(schedule.ScheduleExpression).toMatch(/^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/);
  });

  it('status --json: the pool with its reservation, the forecasts, the scheduled request', async () => {
    const report = await statusJson();
    expect(report).toMatchObject({ schemaVersion: 2, table: TABLE });
    const [web] = report.groups;
    expect(web).toMatchObject({
      group: GROUP,
      pool: {
        capacity: { vcpu: 8, memoryGiB: 32, networkMbps: 30_000, diskIops: 60_000 },
        allocated: { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 200 },
        reserved: { vcpu: 3, memoryGiB: 10, networkMbps: 100, diskIops: 200 },
        free: { vcpu: 4, memoryGiB: 18, networkMbps: 29_800, diskIops: 59_600 },
        borrowed: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 },
      },
      reservations: [{ reservationId: `request:${patchId}:${VICTIM}`, purpose: 'request', instanceId: VICTIM, amount: { vcpu: 3, memoryGiB: 10 } }],
    });
    expect(web?.forecasts.map((f) => [f.instanceId, f.kind, f.basis?.vcpu])).toEqual([
      [VICTIM, 'known', 'instance-history'],
      [SIBLING, 'known', 'instance-history'],
    ]);
    expect(report.requests).toMatchObject([{ requestId: patchId, group: GROUP, status: 'scheduled', victim: VICTIM, reason: 'kernel patch', shortfall: null }]);
    expect(report.failClosed).toEqual([]);
  });

  it('a group request that does not fit is deferred: status shows the reason, the shortfall and the fail-closed decision', async () => {
    const run = await runCli([
      'request',
      '--group',
      GROUP,
      '--max-priority',
      '60',
      '--reason',
      'batch drain',
      '--mode',
      'terminate',
      '--json',
      ...aws,
      '--bus',
      BUS,
    ]);
    expect(run.code).toBe(0);
    batchId = (JSON.parse(run.stdout) as { requestId: string }).requestId;
    // The victim candidates need more than is free once the sibling's forecast is larger than the pool allows.
    await world.store.putPoolCapacity(GROUP, { vcpu: 5, memoryGiB: 32, networkMbps: 30_000, diskIops: 60_000 });
    expect(await deliverToCoordinator()).toMatchObject([{ status: 'planned', actions: ['defer-interruption'] }]);

    const report = await statusJson();
    const deferred = report.requests.find((r) => r.requestId === batchId);
    expect(deferred).toMatchObject({
      status: 'deferred',
      selector: `group ${GROUP} (priority ≤ 60)`,
      note: expect.stringMatching(/^reservation-does-not-fit: /),
      shortfall: expect.stringMatching(/vCPU/),
    });
    expect(deferred?.retryAt).not.toBeNull();
    expect(report.failClosed).toMatchObject([{ requestId: batchId, handler: 'coordinator', failed: [{ name: 'pool' }] }]);

    const text = await runCli(['status', ...aws, '--table', TABLE, '--group', GROUP]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^spotwise status: table spotwise-operator at \d{4}-/);
    expect(text.stdout).toContain(`group ${GROUP}\n  pool (version `);
    expect(text.stdout).toMatch(/ {4}capacity +5 +32 +30000 +60000\n/);
    expect(text.stdout).toContain(`  ${batchId}  deferred  terminate group ${GROUP} (priority ≤ 60)`);
    expect(text.stdout).toContain(`  ${patchId}  scheduled  stop instance ${VICTIM} → ${VICTIM}`);
    expect(text.stdout).toContain('fail-closed decisions (1)');
  });

  it('explain REQUEST_ID: the admission checks with their numbers, the plan, what was executed', async () => {
    const run = await runCli(['explain', patchId, ...aws, '--table', TABLE]);
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`request ${patchId}: scheduled (scheduled for `);
    expect(out).toMatch(/ {7}ok {3}victim: i-0a1b2c3d4e5f60718: on-demand m5.xlarge in us-east-1a, priority 40, running\n/);
    expect(out).toMatch(/ {7}ok {3}pool: needs 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS; free 7 vCPU, 28 GiB, 29900 Mbps, 59800 IOPS of capacity 8 vCPU/);
    expect(out).toMatch(/ {7}ok {3}budget: 0 disruption\(s\) in flight \+ 0 admitted and not carried out yet, 2 allowed \(maxUnavailable 2\)\n/);
    // The group request came after it: the scheduled patch holds one of the two.
    const batch = JSON.parse((await runCli(['explain', batchId, '--json', ...aws, '--table', TABLE])).stdout) as {
      trail: { checks: { name: string; detail: string }[] }[];
    };
    expect(batch.trail[0]?.checks.find((c) => c.name === 'budget')?.detail).toBe(
      '0 disruption(s) in flight + 1 admitted and not carried out yet, 2 allowed (maxUnavailable 2)',
    );
    expect(out).toMatch(/ {7}1\) reserve 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS in web for i-0a1b2c3d4e5f60718/);
    expect(out).toMatch(/ {7}- done: schedule stop of i-0a1b2c3d4e5f60718 in web at /);

    const json = JSON.parse((await runCli(['explain', batchId, '--json', ...aws, '--table', TABLE])).stdout) as {
      status: string;
      trail: { checks: { name: string; passed: boolean }[] }[];
    };
    expect(json.status).toBe('deferred');
    expect(json.trail[0]?.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['pool']);

    const byInstance = await runCli(['explain', VICTIM, ...aws, '--table', TABLE]);
    expect(byInstance.code).toBe(0);
    expect(byInstance.stdout).toContain(`instance ${VICTIM}\n  forecast: p90 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS, basis instance-history, made `);
    expect(byInstance.stdout).toContain(`  reservations held for it (1):\n    request:${patchId}:${VICTIM} in web: 3 vCPU, 10 GiB, 100 Mbps, 200 IOPS until `);
    expect(byInstance.stdout).toContain(`request ${patchId}: scheduled`);
  });

  it('cancel: the coordinator records it cancelled, deletes its schedule and releases its reservation; a second cancel says so', async () => {
    const run = await runCli(['cancel', patchId, '--reason', 'patch postponed', ...aws, '--table', TABLE, '--bus', BUS]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^cancel of request ${patchId} \\(scheduled\\) sent to bus ${BUS} \\(event [0-9a-f-]+\\)\\n`));
    expect(await deliverToCoordinator()).toMatchObject([
      { status: 'planned', noticeKind: 'interruption-cancel', actions: ['record-request-status', 'cancel-schedule', 'release'], succeeded: true },
    ]);

    const schedules = new SchedulerClient(awsClientConfig(moto().clientOptions));
    await expect(schedules.send(new GetScheduleCommand({ Name: scheduleNameFor(patchId), GroupName: SCHEDULE_GROUP }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    schedules.destroy();
    const report = await statusJson();
    expect(report.groups[0]?.pool.reserved).toEqual({ vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 });
    expect(report.requests.find((r) => r.requestId === patchId)).toMatchObject({ status: 'cancelled', note: 'cancelled while scheduled: patch postponed' });
    // The cancel is the trail's newest decision, after the admission.
    expect((await world.store.getRequest(requestId(patchId)))?.trail?.map((e) => [e.handler, e.noticeKind])).toEqual([
      ['coordinator', 'interruption-request'],
      ['coordinator', 'interruption-cancel'],
    ]);
    const explained = await runCli(['explain', patchId, ...aws, '--table', TABLE]);
    expect(explained.stdout).toContain(`decisions (2, oldest first):`);
    expect(explained.stdout).toMatch(
      / {2}2\. \S+ {2}coordinator on interruption-cancel\n {5}checks:\n {7}ok {3}status: scheduled: not carried out yet, so it can be cancelled\n {5}plan:\n {7}1\) record request \S+ as cancelled: cancelled while scheduled: patch postponed\n {7}2\) delete the schedule of request \S+: cancelled while scheduled: patch postponed\n {7}3\) release request:\S+ in web: request \S+ cancelled\n/,
    );

    const again = await runCli(['cancel', patchId, ...aws, '--table', TABLE, '--bus', BUS]);
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `spotwise cancel: request ${patchId} is cancelled (it was already cancelled: cancelled while scheduled: patch postponed): nothing to cancel\n`,
    });
    expect(await world.delivered()).toEqual([]);
    const unknown = await runCli(['cancel', 'req-unknown', ...aws, '--table', TABLE, '--bus', BUS]);
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: `spotwise cancel: no request req-unknown in table ${TABLE}: nothing to cancel\n` });
  });

  it('bad input exits 2 naming the flag and the value, and sends nothing', async () => {
    const cases: [string[], string][] = [
      [
        ['request', '--group', GROUP, '--reason', 'x'],
        'spotwise request: --max-priority: needed with --group (the highest priority that may be chosen, 0..100) (got nothing)\n',
      ],
      [
        ['request', '--instance', 'i-XYZ', '--reason', 'x'],
        'spotwise request: --instance: expected an EC2 instance id like "i-0123456789abcdef0" (got "i-XYZ")\n',
      ],
      [
        ['request', '--instance', VICTIM, '--reason', 'x', '--mode', 'reboot'],
        'spotwise request: --mode: Invalid option: expected one of "stop"|"hibernate"|"terminate" (got "reboot")\n',
      ],
      [
        ['request', '--instance', VICTIM, '--reason', 'x', '--deadline', 'tomorrow'],
        'spotwise request: --deadline: expected an ISO-8601 time like 2026-01-15T06:00:00Z or +30m, +2h, +1d (got "tomorrow")\n',
      ],
      [
        ['explain', 'no/such'],
        'spotwise explain: REQUEST_ID | INSTANCE_ID: expected a request id (1-64 letters, digits, "_", "." or "-") or an instance id like i-0123456789abcdef0 (got "no/such")\n',
      ],
      [
        ['status', '--endpoint', 'localhost:4566', '--table', TABLE],
        'spotwise status: --endpoint: expected an http(s) URL like http://127.0.0.1:5000 (got "localhost:4566")\n',
      ],
      [['status', '--group', 'nope', '--table', TABLE], `spotwise status: --group: "nope" has no pool in table ${TABLE} (groups with a pool: web)\n`],
    ];
    for (const [args, stderr] of cases) {
      const withAws =
        args[0] === 'status' && args.includes('--endpoint')
          ? args
          : [...args, ...aws, ...(args[0] === 'request' ? ['--bus', BUS] : args[0] === 'explain' ? ['--table', TABLE] : [])];
      expect(await runCli(withAws), args.join(' ')).toEqual({ code: 2, stdout: '', stderr });
    }
    expect(await runCli(['status', ...aws])).toEqual({
      code: 2,
      stdout: '',
      stderr: "spotwise status: --table: spotwise's state table is needed: give --table NAME or set SPOTWISE_TABLE_NAME (got nothing)\n",
    });
    expect(await world.delivered()).toEqual([]);
  });
});
