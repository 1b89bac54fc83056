import type { FleetView, GroupId, Notice, Plan } from '../core/domain';
import type { ExecutionReport } from './execute-plan';
import type { BaseDeps, HandlerResult } from './handler-deps';
import { loadFleet, type FleetReadPorts, type LoadedFleet, type LoadFleetOptions } from './load-fleet';
import type { ManagedGroups } from './managed-groups';
import type { HandlerLog } from './telemetry';
import { effectiveDryRun } from './managed-groups';
import { runPlan } from './run-plan';

export interface PipelineInput {
  /** Which Lambda (or `spotwise plan`) runs it: named in logs, Plan Made and metrics. */
  readonly handler: string;
  /** An accepted event: it has an id (the unit of idempotency). */
  readonly notice: Notice & { readonly eventId: string };
  readonly now: number;
  /** Log keys naming what the event is about (STYLE.md: instanceId, groupId, eventId, ...). */
  readonly keys: Readonly<Record<string, string>>;
  /** The group whose policy decides dry-run (a group's policy can add dry-run for itself); none: the deployment's. */
  readonly group?: GroupId;
  /** What to load: the related groups, which forecasts, which members to describe in EC2. */
  readonly load: LoadFleetOptions;
  /** Ends the event on what was loaded, before anything is planned or marked (e.g. a group spotwise does not manage). */
  readonly check?: (loaded: LoadedFleet) => HandlerResult | undefined;
  /**
   * The decision, on the loaded snapshot: pure (lambda/core). The profiler's is asynchronous: it reads metrics and
   * prices and stores what it learns (profiles, forecasts: learned in dry-run too) before its core plans the tick.
   */
  readonly plan: (fleet: FleetView, loaded: LoadedFleet) => Plan | Promise<Plan>;
  /**
   * Mark the event processed between planning and the first effect: a failed read before it is retried by Lambda with
   * nothing done; after it, a redelivery must not act twice. False for decisions that are not events (a retry pass).
   */
  readonly mark: boolean;
}

export type PipelineOutcome =
  /** Ended by `check`, or the event was already processed: nothing was executed. */
  | { readonly kind: 'ended' | 'duplicate'; readonly result: HandlerResult }
  | {
      readonly kind: 'ran';
      readonly loaded: LoadedFleet;
      readonly plan: Plan;
      readonly dryRun: boolean;
      readonly report: ExecutionReport;
      /** The handler's result for a planned event. */
      readonly result: Extract<HandlerResult, { status: 'planned' }>;
    };

/**
 * The steps every entry point shares after it has accepted an event and resolved what it is about: load (independent
 * reads in parallel, lambda/app/load-fleet.ts) → plan (the core) → mark the event processed → execute the plan through
 * the ports (or not, in dry-run: enforced once, in the executor) → publish Plan Made and the domain events
 * (lambda/app/run-plan.ts). The four Lambdas run it; `planOnly` is `spotwise plan`'s part of it (load and plan, no
 * mark, no effect).
 */
export const runPipeline = async (deps: BaseDeps, input: PipelineInput): Promise<PipelineOutcome> => {
  const { log } = deps.telemetry;
  const { notice, now, keys } = input;
  const planned = await planOnly(deps, input);
  if (planned.kind === 'ended') return planned;
  const { loaded, plan } = planned;
  if (input.mark && !(await deps.ports.state.markEventProcessed(notice.eventId, now))) {
    log.info('duplicate event: already processed', keys);
    return { kind: 'duplicate', result: { status: 'duplicate', eventId: notice.eventId } };
  }
  const policy = loaded.fleet.groups.find((g) => g.id === input.group)?.policy;
  const dryRun = effectiveDryRun(deps.dryRun, policy);
  const { report } = await runPlan({ handler: input.handler, notice, plan, dryRun, ports: deps.ports, telemetry: deps.telemetry });
  return {
    kind: 'ran',
    loaded,
    plan,
    dryRun,
    report,
    result: {
      status: 'planned',
      eventId: notice.eventId,
      noticeKind: notice.kind,
      dryRun,
      actions: plan.actions.map((a) => a.kind),
      succeeded: report.succeeded,
    },
  };
};

/** Load and plan only: what the pipeline would execute (warnings of the load are logged). */
export const planOnly = async (
  deps: { readonly ports: FleetReadPorts; readonly managed: ManagedGroups; readonly telemetry: { readonly log: Pick<HandlerLog, 'warn'> } },
  input: Pick<PipelineInput, 'load' | 'plan' | 'keys' | 'check'>,
): Promise<{ readonly kind: 'planned'; readonly loaded: LoadedFleet; readonly plan: Plan } | { readonly kind: 'ended'; readonly result: HandlerResult }> => {
  const loaded = await loadFleet(deps.ports, deps.managed, input.load);
  for (const w of loaded.warnings) deps.telemetry.log.warn(w, input.keys);
  const ended = input.check?.(loaded);
  if (ended !== undefined) return { kind: 'ended', result: ended };
  return { kind: 'planned', loaded, plan: await input.plan(loaded.fleet, loaded) };
};
