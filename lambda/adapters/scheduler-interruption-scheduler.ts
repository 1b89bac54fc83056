import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { RequestId } from '../core/domain';
import { interruptionDueEvent } from '../contracts/events';
import type { InterruptionScheduler, ScheduledInterruption } from '../ports/interruption-scheduler';
import { callAws, translateAwsError } from './errors';

export interface SchedulerInterruptionSchedulerOptions {
  /** The executor Lambda the schedule invokes. */
  readonly executorArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (lambda:InvokeFunction on the executor). */
  readonly roleArn: string;
  /** The stack's schedule group (Env.schedulerGroupName); omitted → the account's "default" group. */
  readonly groupName?: string;
  readonly deadLetterArn?: string;
}

/** Schedule names: 1–64 characters of letters, digits, "-", "_" and "." (Scheduler API reference, CreateSchedule). */
const NAME_PATTERN = /^[0-9A-Za-z_.-]{1,64}$/;
const NAME_PREFIX = 'spotwise-';

/**
 * The schedule's name, derived from the request id only, so scheduling the same request twice names the
 * same schedule (idempotent) and cancel can find it. Ids that do not fit the name rules are hashed.
 */
export const scheduleNameFor = (requestId: RequestId | string): string => {
  const plain = `${NAME_PREFIX}${requestId}`;
  if (NAME_PATTERN.test(plain)) return plain;
  const digest = createHash('sha256').update(requestId).digest('hex').slice(0, 16);
  const readable = requestId.replace(/[^0-9A-Za-z_.-]/g, '_').slice(0, 64 - NAME_PREFIX.length - digest.length - 1);
  return `${NAME_PREFIX}${readable}-${digest}`;
};

/**
 * A one-time schedule expression `at(yyyy-mm-ddThh:mm:ss)`, read in ScheduleExpressionTimezone (UTC here).
 * It has whole seconds; the time is rounded UP so an interruption never fires before its not-before.
 */
export const atExpression = (at: number): string => {
  if (!Number.isFinite(at)) throw new RangeError(`interruption time must be a finite epoch-millisecond time (got ${at})`);
  const seconds = Math.ceil(at / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
};

/**
 * InterruptionScheduler over EventBridge Scheduler: one one-time schedule per request, FlexibleTimeWindow
 * OFF (fire at the time, not within a window), ActionAfterCompletion DELETE (no finished schedules pile up
 * against the account's quota). The target input is the "Interruption Due" event the executor parses
 * through the event registry (lambda/events/parsers/interruption-due.ts builds it).
 */
export class SchedulerInterruptionScheduler implements InterruptionScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: SchedulerInterruptionSchedulerOptions,
  ) {
    if (options.executorArn.trim() === '') throw new RangeError('executorArn must not be empty (got "")');
    if (options.roleArn.trim() === '') throw new RangeError('roleArn must not be empty (got "")');
  }

  /**
   * Creates the schedule. ConflictException means a schedule of that name exists: scheduling is
   * idempotent, so if it fires at the same time with the same input nothing is done; if the request was
   * re-planned for another time (a deferral retried), the schedule is updated to the new plan.
   */
  async schedule(interruption: ScheduledInterruption): Promise<void> {
    const input = this.createInput(interruption);
    const operation = `scheduling the interruption of ${interruption.instanceId} in group ${interruption.groupId} at ${new Date(interruption.at).toISOString()} (request ${interruption.requestId})`;
    try {
      await this.client.send(new CreateScheduleCommand(input));
      return;
    } catch (error) {
      if (!(error instanceof ConflictException)) throw translateAwsError(operation, error);
    }
    const existing = await callAws(operation, () =>
      this.client.send(new GetScheduleCommand({ Name: input.Name, ...(input.GroupName !== undefined ? { GroupName: input.GroupName } : {}) })),
    );
    if (existing.ScheduleExpression === input.ScheduleExpression && existing.Target?.Input === input.Target?.Input) return;
    await callAws(operation, () => this.client.send(new UpdateScheduleCommand(input)));
  }

  /** Deletes the request's schedule; one that already fired (and deleted itself) or never existed is fine. */
  async cancel(requestId: RequestId): Promise<void> {
    const name = scheduleNameFor(requestId);
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, ...(this.options.groupName !== undefined ? { GroupName: this.options.groupName } : {}) }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw translateAwsError(`cancelling the scheduled interruption of request ${requestId}`, error);
    }
  }

  private createInput(interruption: ScheduledInterruption): CreateScheduleInput {
    return {
      Name: scheduleNameFor(interruption.requestId),
      ...(this.options.groupName !== undefined ? { GroupName: this.options.groupName } : {}),
      ScheduleExpression: atExpression(interruption.at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: `spotwise: ${interruption.mode} ${interruption.instanceId} in ${interruption.groupId} (request ${interruption.requestId})`.slice(0, 512),
      Target: {
        Arn: this.options.executorArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify(interruptionDueEvent(interruption)),
        ...(this.options.deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
      },
    };
  }
}
