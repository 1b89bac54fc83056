import 'aws-sdk-client-mock-vitest/extend';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError, ThrottledError } from '../../lambda/adapters/errors';
import { SchedulerInterruptionScheduler, atExpression, scheduleNameFor } from '../../lambda/adapters/scheduler-interruption-scheduler';
import { groupId, instanceId, requestId, reservationId } from '../../lambda/core/domain';
import { parseEvent } from '../../lambda/events/registry';
import type { ScheduledInterruption } from '../../lambda/ports/interruption-scheduler';
import { ec2Error, meta } from './aws-errors';

const sch = mockClient(SchedulerClient);
afterAll(() => sch.restore());
const EXECUTOR = 'arn:aws:lambda:eu-west-1:123456789012:function:spotwise-executor';
const ROLE = 'arn:aws:iam::123456789012:role/spotwise-scheduler';
const scheduler = () => new SchedulerInterruptionScheduler(new SchedulerClient({}), { executorArn: EXECUTOR, roleArn: ROLE, groupName: 'spotwise' });

const due: ScheduledInterruption = {
  requestId: requestId('req-42'),
  groupId: groupId('web'),
  instanceId: instanceId('i-0abc1234def567890'),
  reservationId: reservationId('req-42:i-0abc1234def567890'),
  at: Date.UTC(2026, 2, 1, 3, 30, 15, 250),
  mode: 'hibernate',
};

const expectedInput = {
  Name: 'spotwise-req-42',
  GroupName: 'spotwise',
  ScheduleExpression: 'at(2026-03-01T03:30:16)',
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  State: 'ENABLED',
  Description: 'spotwise: hibernate i-0abc1234def567890 in web (request req-42)',
  Target: {
    Arn: EXECUTOR,
    RoleArn: ROLE,
    Input: JSON.stringify({
      source: 'spotwise',
      'detail-type': 'Interruption Due',
      detail: {
        requestId: 'req-42',
        instanceId: 'i-0abc1234def567890',
        groupName: 'web',
        reservationId: 'req-42:i-0abc1234def567890',
        mode: 'hibernate',
        scheduledFor: '2026-03-01T03:30:15.250Z',
      },
    }),
  },
};

beforeEach(() => {
  sch.reset();
});

describe('SchedulerInterruptionScheduler.schedule', () => {
  it('creates a one-time UTC schedule that fires the executor with the Interruption Due input', async () => {
    sch.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    await scheduler().schedule(due);
    expect(sch.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toEqual(expectedInput);
  });

  it('hands the executor an input the event registry parses into the interruption-due notice', () => {
    const parsed = parseEvent(JSON.parse(expectedInput.Target.Input) as unknown, { receivedAt: due.at });
    expect(parsed).toMatchObject({
      kind: 'notice',
      notice: {
        kind: 'interruption-due',
        requestId: 'req-42',
        instanceId: 'i-0abc1234def567890',
        groupId: 'web',
        reservationId: 'req-42:i-0abc1234def567890',
        mode: 'hibernate',
      },
    });
  });

  it('treats ConflictException with the same schedule as done (idempotent)', async () => {
    sch.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: meta(409) }));
    sch.on(GetScheduleCommand).resolves({ Name: 'spotwise-req-42', ScheduleExpression: expectedInput.ScheduleExpression, Target: expectedInput.Target });
    await scheduler().schedule(due);
    expect(sch).toHaveReceivedCommandExactlyOnceWith(GetScheduleCommand, { Name: 'spotwise-req-42', GroupName: 'spotwise' });
    expect(sch).not.toHaveReceivedCommand(UpdateScheduleCommand);
  });

  it('moves an existing schedule to the new time when the request was re-planned', async () => {
    sch.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: meta(409) }));
    sch
      .on(GetScheduleCommand)
      .resolves({ Name: 'spotwise-req-42', ScheduleExpression: 'at(2026-03-01T01:00:00)', Target: { ...expectedInput.Target, Input: '{}' } });
    sch.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    await scheduler().schedule(due);
    expect(sch.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toEqual(expectedInput);
  });

  it.each([
    ['ThrottlingException', ec2Error('ThrottlingException', 'slow down'), ThrottledError],
    ['ValidationException', new ValidationException({ message: 'bad', Message: 'bad', $metadata: meta() }), AwsCallError],
  ])('translates %s, naming the operation', async (_label, error, expected) => {
    sch.on(CreateScheduleCommand).rejects(error);
    const call = scheduler().schedule(due);
    await expect(call).rejects.toBeInstanceOf(expected);
    await expect(call).rejects.toThrow(/^scheduling the interruption of i-0abc1234def567890 in group web at 2026-03-01T03:30:15.250Z \(request req-42\): /);
  });
});

describe('SchedulerInterruptionScheduler.cancel', () => {
  it('deletes the schedule named after the request', async () => {
    sch.on(DeleteScheduleCommand).resolves({});
    await scheduler().cancel(requestId('req-42'));
    expect(sch).toHaveReceivedCommandExactlyOnceWith(DeleteScheduleCommand, { Name: 'spotwise-req-42', GroupName: 'spotwise' });
  });

  it('is fine when the schedule already fired or never existed', async () => {
    sch.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: meta(404) }));
    await expect(scheduler().cancel(requestId('req-42'))).resolves.toBeUndefined();
  });
});

describe('schedule names and times', () => {
  it('derives a valid, deterministic name from any request id, distinct for distinct ids', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 200 }), (a, b) => {
        const name = scheduleNameFor(a);
        expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
        expect(scheduleNameFor(a)).toBe(name);
        if (a !== b) expect(scheduleNameFor(b)).not.toBe(name);
      }),
    );
  });

  it.each([
    [Date.UTC(2026, 0, 1, 0, 0, 0), 'at(2026-01-01T00:00:00)'],
    [Date.UTC(2026, 0, 1, 0, 0, 0, 1), 'at(2026-01-01T00:00:01)'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 500), 'at(2027-01-01T00:00:00)'],
  ])('at(%d) rounds up to the second: %s', (at, expression) => {
    expect(atExpression(at)).toBe(expression);
  });

  it('rejects a non-finite time and empty ARNs', () => {
    expect(() => atExpression(Number.NaN)).toThrow('interruption time must be a finite epoch-millisecond time (got NaN)');
    expect(() => new SchedulerInterruptionScheduler(new SchedulerClient({}), { executorArn: '', roleArn: ROLE })).toThrow('executorArn must not be empty');
  });
});
