import { DIMENSIONS, type BehaviourProfile, type GroupId, type InstanceId, type Resources } from '../domain';
import { InvalidProfileError, MAX_RESTART_CURVE_MINUTES, RESTART_HISTORY_LIMIT, curveFromRecent, newProfile, steadyStateBefore } from './behaviour-profile';
import { emptyHistogram, isEmptyHistogram } from './decaying-histogram';
import { featureRowsBefore } from '../predict/model-features';

/**
 * Restart lineage. A Spot replacement is a new instance with a new id and an empty profile: without
 * lineage its first post-restart window has no "steady before" (every dimension 0, so the cycle is no
 * evidence), and a Spot interruption never teaches the predictor anything. When a replacement takes
 * over an interrupted instance's load (its reservation is handed over), the replacement's profile
 * inherits the victim's lineage:
 * - the steady-state histograms, connections and (same vCPU count only: they are per core / percent)
 *   CPU per core and peak — the load moved, so its steady state is the victim's;
 * - the restart history (the load's past restarts) and the job type;
 * - a post-restart window opened at the replacement's start, whose steady state before is the
 *   victim's p90, whose interruption is the victim's last sample, and whose curve is what the
 *   replacement has shown since its start (kept when it already opened a window of its own).
 * Closing that window (closeRestartWindow) then records a complete cycle in the replacement's profile,
 * and the job-type factors learn it.
 *
 * Safe under redelivery and races: inheriting from the same victim twice changes nothing, a profile
 * that carries another lineage or has history of its own (restart cycles, or data beyond its own
 * post-restart window) is never overwritten, and a lineage goes to one heir only — the victim is marked
 * (`inheritedBy`), because a victim may hold several reservations (a rebalance recommendation's and a
 * warning's) handed to different newcomers, and each would otherwise learn the same history and record
 * the same restart as its own.
 */

export interface InheritInput {
  readonly heirId: InstanceId;
  readonly groupId: GroupId;
  /** When the replacement started: the restart boundary of the inherited cycle. */
  readonly restartedAt: number;
  /** The group's post-restart window (minutes). */
  readonly windowMinutes: number;
  /** The replacement's type and vCPUs, when known; otherwise the victim's stand in until the profiler sees it. */
  readonly heir?: { readonly instanceType: string; readonly vcpus: number };
  /** p90 of the victim's forecast made before it was interrupted (compared with the cycle when it closes). */
  readonly forecastBefore?: Resources;
  /** The model's p90 behind `forecastBefore` when recalibration had scaled it. */
  readonly modelBefore?: Resources;
  readonly now: number;
}

export type InheritOutcome =
  /** The replacement's new profile, and the victim's marked with the heir it passed its lineage to. */
  | { readonly kind: 'inherited'; readonly profile: BehaviourProfile; readonly victim: BehaviourProfile }
  /** Nothing changed, and why (already inherited, own history, nothing to inherit). */
  | { readonly kind: 'kept'; readonly reason: string };

const MINUTE_MS = 60_000;

const hasSteadyData = (p: BehaviourProfile): boolean => DIMENSIONS.some((d) => !isEmptyHistogram(p.steady[d]));

/** Why `heir` already has history of its own (not to be overwritten), or undefined when it has none. */
const ownHistory = (heir: BehaviourProfile, victimId: InstanceId, input: InheritInput): string | undefined => {
  if (heir.inheritedFrom === victimId) return `already inherited from ${victimId}`;
  if (heir.inheritedFrom !== undefined) return `${heir.instanceId} already carries the lineage of ${heir.inheritedFrom}`;
  if (heir.restarts.length > 0) return `${heir.instanceId} has ${heir.restarts.length} restart cycle(s) of its own`;
  // Data newer than the end of its own first post-restart window is steady state of its own.
  const since = Math.min(input.restartedAt, heir.launchedAt, heir.openRestart?.restartedAt ?? Number.POSITIVE_INFINITY);
  if (heir.lastSampleAt !== undefined && heir.lastSampleAt >= since + input.windowMinutes * MINUTE_MS) {
    return `${heir.instanceId} has been observed past its post-restart window: its steady state is its own`;
  }
  return undefined;
};

/**
 * The replacement's profile with the victim's lineage (see the module comment), or `kept` with the
 * reason when nothing may change. Pure and deterministic; `heir` is the replacement's stored profile,
 * if any.
 */
export const inheritProfile = (victim: BehaviourProfile | undefined, heir: BehaviourProfile | undefined, input: InheritInput): InheritOutcome => {
  if (!Number.isFinite(input.restartedAt)) throw new InvalidProfileError('restartedAt', input.restartedAt, 'must be a finite number');
  if (!Number.isFinite(input.now)) throw new InvalidProfileError('now', input.now, 'must be a finite number');
  if (!Number.isInteger(input.windowMinutes) || input.windowMinutes <= 0 || input.windowMinutes > MAX_RESTART_CURVE_MINUTES) {
    throw new InvalidProfileError('windowMinutes', input.windowMinutes, `must be an integer within 1..${MAX_RESTART_CURVE_MINUTES}`);
  }
  if (input.forecastBefore !== undefined) {
    for (const d of DIMENSIONS)
      if (!Number.isFinite(input.forecastBefore[d])) throw new InvalidProfileError(`forecastBefore.${d}`, input.forecastBefore[d], 'must be a finite number');
  }
  if (victim === undefined) return { kind: 'kept', reason: 'the interrupted instance has no profile: nothing to inherit' };
  if (victim.instanceId === input.heirId)
    return { kind: 'kept', reason: `${input.heirId} restarted under its own id: its profile already carries its history` };
  if (heir !== undefined && heir.instanceId !== input.heirId) {
    throw new InvalidProfileError('heir.instanceId', heir.instanceId, `must be the replacement ${input.heirId}`);
  }
  if (!hasSteadyData(victim) && victim.restarts.length === 0) {
    return { kind: 'kept', reason: `${victim.instanceId} has neither steady state nor restart history: nothing to inherit` };
  }
  const own = heir === undefined ? undefined : ownHistory(heir, victim.instanceId, input);
  if (own !== undefined) return { kind: 'kept', reason: own };
  if (victim.inheritedBy !== undefined && victim.inheritedBy !== input.heirId) {
    return { kind: 'kept', reason: `the lineage of ${victim.instanceId} already went to ${victim.inheritedBy}` };
  }

  const base =
    heir ??
    newProfile({
      instanceId: input.heirId,
      groupId: input.groupId,
      instanceType: input.heir?.instanceType ?? victim.instanceType,
      vcpus: input.heir?.vcpus ?? victim.vcpus,
      jobType: victim.jobType,
      launchedAt: input.restartedAt,
      now: input.now,
      halfLifeMs: victim.steady.vcpu.halfLifeMs,
    });
  // A window the replacement opened itself (its state change) marks its start more exactly than a launch time.
  const mine = base.openRestart;
  const restartedAt = mine?.restartedAt ?? input.restartedAt;
  const lastSeen = victim.lastSampleAt ?? victim.updatedAt;
  const forecastBefore = input.forecastBefore ?? mine?.forecastBefore;
  const modelBefore = input.forecastBefore !== undefined ? input.modelBefore : mine?.modelBefore;
  const sameCores = base.vcpus === victim.vcpus;
  const interruptedAt = Math.min(lastSeen, restartedAt);
  // The victim's rows: the load (and what a forecast saw of it) is the victim's; the replacement is where it restarts.
  const featuresBefore = featureRowsBefore(victim, { interruptedAt, restartedAt, windowMinutes: input.windowMinutes });
  return {
    kind: 'inherited',
    victim: victim.inheritedBy === input.heirId ? victim : { ...victim, inheritedBy: input.heirId },
    profile: {
      ...base,
      jobType: victim.jobType,
      updatedAt: Math.max(base.updatedAt, input.now),
      steady: victim.steady,
      // Per core and percent: meaningful on the same vCPU count only; otherwise learned afresh.
      cpuPerCore: sameCores ? victim.cpuPerCore : emptyHistogram(victim.cpuPerCore.halfLifeMs, victim.cpuPerCore.bounds),
      cpuPeakPercent: sameCores ? victim.cpuPeakPercent : 0,
      connections: victim.connections,
      // The load moved with its rhythm: the heir is busy when its victim was.
      ...(victim.dailyVcpu !== undefined ? { dailyVcpu: victim.dailyVcpu } : {}),
      restarts: victim.restarts.slice(-RESTART_HISTORY_LIMIT),
      inheritedFrom: victim.instanceId,
      openRestart: {
        interruptedAt,
        restartedAt,
        from: victim.instanceId,
        steadyBefore: steadyStateBefore(victim),
        curve: mine?.curve ?? curveFromRecent(base.recent, restartedAt),
        ...(forecastBefore !== undefined ? { forecastBefore: { ...forecastBefore } } : {}),
        ...(forecastBefore !== undefined && modelBefore !== undefined ? { modelBefore: { ...modelBefore } } : {}),
        ...(Object.keys(featuresBefore).length > 0 ? { featuresBefore } : {}),
      },
    },
  };
};
