import type { Action, GroupView, InstanceId, ManagedInstance, ResourcePool } from '../domain';
import { reservationsFor } from '../common/reservation-terms';

/**
 * Members spotwise moved to Standby that nothing brings back any more. A voluntary stop goes through Standby
 * (voluntary-stop.ts), and the `running` state change of the stopped member returns it to service while the
 * reservation for its restart is held (plan-state-change.ts). Without that reservation — it expired while the member
 * stayed stopped, the member was started by an operator or taken by spotwise as a stopped sibling for a Spot
 * victim's load, or the `running` event was never delivered (EventBridge delivers on a best-effort basis) — the member
 * would run out of service, paid for and serving nothing, until someone called ExitStandby by hand.
 *
 * Which members are spotwise's: those carrying STANDBY_MARK_TAG (`standbyMark`), written before EnterStandby and
 * deleted after ExitStandby. An operator's Standby (troubleshooting, updates) carries no mark and is never touched.
 */

/**
 * A member spotwise moved to Standby (it carries the mark) for which no reservation is held any more: nothing of
 * spotwise's waits on it — no stop under way, no restart to hand over. Such a member may run again (absorb-load may
 * start it for a Spot victim's load) and is brought back in service once it does (standbyExitFor).
 */
export const standbyOrphaned = (instance: Pick<ManagedInstance, 'id' | 'standbyMark'>, pool: ResourcePool, now: number): boolean =>
  instance.standbyMark !== undefined && reservationsFor(pool, instance.id, now).length === 0;

export type StandbyExitDecision =
  | { readonly kind: 'exit'; readonly action: Action & { readonly kind: 'exit-standby' } }
  | { readonly kind: 'clear'; readonly action: Action & { readonly kind: 'clear-standby-mark' } }
  /** `atMaxSize`: it should go back in service and cannot (the operator's to settle: raise the max size, or terminate it). */
  | { readonly kind: 'keep'; readonly reason: string; readonly atMaxSize?: boolean };

/**
 * What to do about one marked member of `group` at `now`; undefined for a member without the mark, or one whose mark
 * is as it should be (stopped in Standby, leaving the group).
 *
 * - A reservation is held for it: its stop or restart is under way (the plan that holds it brings it back) — kept.
 * - In Standby and running: ExitStandby, unless desired capacity + 1 would pass the group's max size (Auto Scaling
 *   refuses it) — then kept, and said.
 * - In Standby and pending: kept until it runs.
 * - Not in Standby (in service, or warm): the mark outlived its Standby — an EnterStandby refused after the tag, a
 *   failed delete after ExitStandby, an operator's exit-standby — and is deleted, so that an operator's later Standby
 *   of the same member is not taken for spotwise's.
 */
export const standbyExitFor = (
  group: Pick<GroupView, 'id' | 'pool' | 'desiredCapacity' | 'maxSize'>,
  instance: ManagedInstance,
  now: number,
): StandbyExitDecision | undefined => {
  const mark = instance.standbyMark;
  if (mark === undefined || instance.terminating === true || instance.state === 'shutting-down' || instance.state === 'terminated') return undefined;
  const held = reservationsFor(group.pool, instance.id, now)[0];
  if (held !== undefined) return { kind: 'keep', reason: `reservation ${held.id} is held for it: the plan that holds it returns it` };
  if (instance.inStandby !== true) {
    return {
      kind: 'clear',
      action: {
        kind: 'clear-standby-mark',
        groupId: group.id,
        instanceId: instance.id,
        reason: `${instance.id} is not in Standby and no reservation is held for it: the mark (${mark}) outlived its Standby`,
      },
    };
  }
  if (instance.state === 'pending') return { kind: 'keep', reason: 'starting in Standby: returned to service once it runs' };
  if (instance.state !== 'running') return undefined;
  if (group.desiredCapacity + 1 > group.maxSize) {
    return {
      kind: 'keep',
      atMaxSize: true,
      reason: `runs in Standby with no reservation held, but ExitStandby would take the desired capacity of ${group.id} to ${group.desiredCapacity + 1}, above its max size ${group.maxSize} (Auto Scaling refuses it)`,
    };
  }
  return {
    kind: 'exit',
    action: {
      kind: 'exit-standby',
      groupId: group.id,
      instanceId: instance.id,
      reason: `${instance.id} runs in Standby with no reservation held for it (moved there ${mark}): back in service`,
    },
  };
};

/** The standby exits and mark deletions of one group (a profiler tick's, on its refreshed pool), and the members kept. */
export const planStandbyExits = (
  group: Pick<GroupView, 'id' | 'pool' | 'desiredCapacity' | 'maxSize' | 'instances'>,
  now: number,
): {
  readonly actions: readonly Action[];
  readonly kept: readonly { readonly instanceId: InstanceId; readonly reason: string; readonly atMaxSize: boolean }[];
} => {
  const actions: Action[] = [];
  const kept: { instanceId: InstanceId; reason: string; atMaxSize: boolean }[] = [];
  // Each exit raises desired capacity by one: the max-size check counts the exits planned before it.
  let desiredCapacity = group.desiredCapacity;
  for (const instance of [...group.instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const decision = standbyExitFor({ ...group, desiredCapacity }, instance, now);
    if (decision === undefined) continue;
    if (decision.kind === 'keep') kept.push({ instanceId: instance.id, reason: decision.reason, atMaxSize: decision.atMaxSize === true });
    else actions.push(decision.action);
    if (decision.kind === 'exit') desiredCapacity += 1;
  }
  return { actions, kept };
};
