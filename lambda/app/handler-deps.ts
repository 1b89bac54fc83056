import type { EventPublisher } from '../ports/event-publisher';
import type { InterruptionScheduler } from '../ports/interruption-scheduler';
import type { StateStore } from '../ports/state-store';
import type { ExecutionPorts } from './execute-plan';
import type { FleetPorts } from './load-fleet';
import type { ManagedGroups } from './managed-groups';
import type { Telemetry } from './telemetry';

/** Every port a handler reads or acts through. */
export interface HandlerPorts extends Omit<ExecutionPorts, 'state'>, Omit<FleetPorts, 'state'> {
  readonly publisher: EventPublisher;
  /** The handlers together touch every capability of the store, event marks included. */
  readonly state: StateStore;
}

/** What every handler is composed of (its composition root fills it: real adapters, or fakes in tests). */
export interface BaseDeps {
  readonly ports: HandlerPorts;
  readonly managed: ManagedGroups;
  /** The deployment-wide dry-run switch (a group's policy can add dry-run for itself). */
  readonly dryRun: boolean;
  readonly telemetry: Telemetry;
}

/** Deps given directly (tests) or built on first invocation (Lambda: see aws-deps.ts). */
export type DepsSource<D> = D | (() => D);

export const resolveDeps = <D extends object>(source: DepsSource<D>): D => (typeof source === 'function' ? (source as () => D)() : source);

/** What a handler returns: a summary for logs, tests and `spotwise plan` (Lambda ignores it for async events). */
export type HandlerResult =
  | { readonly status: 'malformed'; readonly errors: string }
  | { readonly status: 'ignored'; readonly reason: string; readonly eventId?: string }
  | { readonly status: 'duplicate'; readonly eventId: string }
  | {
      readonly status: 'planned';
      readonly eventId: string;
      readonly noticeKind: string;
      readonly dryRun: boolean;
      readonly actions: readonly string[];
      readonly succeeded: boolean;
    };

/**
 * A scheduler for functions deployed without the scheduler settings: only the coordinator schedules
 * interruptions, so anywhere else a plan that tries is a configuration error, reported as a failed action.
 */
export class UnconfiguredScheduler implements InterruptionScheduler {
  async schedule(): Promise<void> {
    throw new Error(
      'scheduling an interruption: this function has no scheduler settings (SPOTWISE_SCHEDULER_GROUP, SPOTWISE_SCHEDULER_ROLE_ARN, SPOTWISE_EXECUTOR_ARN)',
    );
  }

  async cancel(): Promise<void> {
    throw new Error(
      'cancelling a scheduled interruption: this function has no scheduler settings (SPOTWISE_SCHEDULER_GROUP, SPOTWISE_SCHEDULER_ROLE_ARN, SPOTWISE_EXECUTOR_ARN)',
    );
  }
}
