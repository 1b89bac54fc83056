import type { GroupId, InstanceId, InterruptionRequest, ManagedInstance, Resources } from '../../core/domain';
import { allowedDisruptions } from '../../core/budget/disruption-budget';
import { lookupInstanceType } from '../../core/resources/catalog';
import { catchUpVcpu, warmUpMultiplier } from '../post-restart-demand';
import type { SimInstances, Tenant } from './sim-instances';
import type { Episode, EpisodeKind, RestartPeak, SimWorkload, StrategyHooks } from './sim-types';
import { EPS, type WorldContext } from './world-context';

/** Whether resources cover a workload's home type (it runs there as at home). */
export const coversHome = (w: SimWorkload, r: Resources): boolean => r.vcpu + EPS >= w.home.vcpu && r.memoryGiB + EPS >= w.home.memoryGiB;

/**
 * The application (the same for every strategy): each workload runs on one instance at a time. When its
 * instance is going away (a Spot warning, a drain, a termination) it is moved to a free, ready instance of
 * its group or of the group's standby group — preferring one at least as large as its home type, then the
 * earliest ready. A move is a cut-over: the workload restarts on the new host and pays its post-restart
 * demand there (warm-up and catch-up), warm starts included. A workload on a standby instance moves back to
 * an idle instance of its primary group once its post-restart window has passed.
 *
 * Episodes: every loss or move of a workload's host opens an episode; it stays open until the workload has
 * run for the restart horizon on a host that covers its home type. All unserved demand in that time is the
 * episode's, and its recovery time ends with the last unserved minute it caused.
 */
export class SimApplication implements Tenant {
  readonly workloads: SimWorkload[];
  readonly episodes: Episode[] = [];
  /** Every (re)start of a workload during the run, with its post-restart peak. */
  readonly restartPeaks: RestartPeak[] = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly instances: SimInstances,
  ) {
    const { sample, catalog } = ctx.fleet;
    const priorities = ctx.params.workloadPriorities;
    this.workloads = sample.workloads.map((w) => ({
      id: w.instanceId,
      groupId: w.groupId,
      homeType: w.homeType,
      home: lookupInstanceType(catalog, w.homeType).resources,
      demand: w.demand,
      host: w.instanceId,
      startedAt: ctx.startAt - 24 * 3_600_000,
      downtimeMinutes: 0,
      ...(priorities?.has(w.instanceId) ? { priority: priorities.get(w.instanceId) as number } : {}),
    }));
    for (const w of this.workloads) if (w.priority !== undefined && w.host !== undefined) instances.tagPriority(w.host, w.priority);
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  isIdle(id: InstanceId): boolean {
    return !this.workloads.some((w) => w.host === id || w.next === id);
  }

  // ------------------------------------------------------------------ placing workloads

  private needsHost(w: SimWorkload): boolean {
    if (w.next !== undefined) return false;
    if (w.host === undefined) return true;
    const m = this.instances.meta.get(w.host);
    return m?.doomedAt !== undefined || m?.draining === true || m?.voluntary === true || m?.terminating !== undefined;
  }

  /** Free instances a workload may use: its group's and its standby group's, alive, not warm, unclaimed. */
  private freeHosts(w: SimWorkload): ManagedInstance[] {
    const groups = new Set<GroupId>([w.groupId]);
    const standby = this.ctx.fleet.standbyOf.get(w.groupId);
    if (standby) groups.add(standby);
    return this.instances.instances().filter((i) => {
      if (!groups.has(i.groupId) || i.warm || !(i.state === 'pending' || i.state === 'running')) return false;
      const m = this.instances.meta.get(i.id);
      if (m === undefined || m.doomedAt !== undefined || m.draining || m.voluntary || m.terminating !== undefined || m.detached || m.standby) return false;
      return this.isIdle(i.id);
    });
  }

  placeWorkloads(hooks: StrategyHooks): void {
    const { instances } = this;
    for (const w of this.workloads) {
      if (this.needsHost(w)) {
        const candidates = this.freeHosts(w);
        if (candidates.length > 0) {
          const covers = (i: ManagedInstance): boolean => coversHome(w, instances.spec(i.id).resources);
          candidates.sort(
            (a, b) =>
              Number(covers(b)) - Number(covers(a)) ||
              instances.readyTime(a.id) - instances.readyTime(b.id) ||
              instances.spec(a.id).resources.vcpu - instances.spec(b.id).resources.vcpu ||
              a.id.localeCompare(b.id),
          );
          w.next = candidates[0]?.id;
        }
      } else if (w.next === undefined && w.host !== undefined && instances.instance(w.host)?.groupId !== w.groupId && w.startedAt !== undefined) {
        // On a standby instance: back to the primary group once the post-restart window has passed.
        const window = (this.ctx.fleet.policies.get(w.groupId)?.postRestartWindowMinutes ?? 30) * 60_000;
        if (this.now() - w.startedAt >= window) {
          const home = instances
            .instances()
            .filter(
              (i) =>
                i.groupId === w.groupId &&
                instances.isServing(i.id) &&
                this.isIdle(i.id) &&
                instances.meta.get(i.id)?.doomedAt === undefined &&
                !instances.meta.get(i.id)?.draining &&
                !instances.meta.get(i.id)?.terminating,
            );
          home.sort((a, b) => a.id.localeCompare(b.id));
          if (home[0]) w.next = home[0].id;
        }
      }
      if (w.next !== undefined && instances.isServing(w.next)) this.switchHost(w, hooks);
    }
  }

  /**
   * A targeted request (`--targeted-requests`) names one instance when it is sent: the group's serving member with
   * the highest priority tag that hosts a workload and is not already being disrupted (ties by id) — the host an
   * operator patches by name. Without one, the request stays a group request.
   */
  targetRequest(request: InterruptionRequest): InterruptionRequest {
    if (request.selector.kind !== 'group') return request;
    const groupId = request.selector.groupId;
    const candidates = this.instances.instances().filter((i) => {
      const m = this.instances.meta.get(i.id);
      return (
        i.groupId === groupId && this.instances.isServing(i.id) && m?.doomedAt === undefined && !m?.voluntary && this.workloads.some((w) => w.host === i.id)
      );
    });
    candidates.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
    const top = candidates[0];
    return top === undefined ? request : { ...request, selector: { kind: 'instance', instanceId: top.id } };
  }

  /** A cut-over: the workload stops on its old host and restarts on the new one (one host at a time). */
  private switchHost(w: SimWorkload, hooks: StrategyHooks): void {
    const now = this.now();
    const next = w.next as InstanceId;
    const old = w.host;
    w.next = undefined;
    if (old !== undefined && this.instances.isServing(old)) {
      const m = this.instances.meta.get(old);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', old);
      w.downtimeMinutes = 0;
    } else {
      w.downtimeMinutes = w.lostAt !== undefined ? (now - w.lostAt) / 60_000 : 0;
    }
    if (w.priority !== undefined) {
      // The job's priority tag moves with it: the old host (if it stays) is back at its group's priority.
      const oldGroup = old === undefined ? undefined : this.instances.instance(old)?.groupId;
      if (old !== undefined && oldGroup !== undefined) this.instances.tagPriority(old, this.ctx.fleet.policies.get(oldGroup)?.priority ?? 50);
      this.instances.tagPriority(next, w.priority);
    }
    w.host = next;
    w.startedAt = now;
    w.lostAt = undefined;
    w.restart = { workloadId: w.id, startedAt: now, peakVcpu: 0, peakMemoryGiB: 0 };
    this.restartPeaks.push(w.restart);
    const payload = { workloadId: w.id, from: old, to: next, previousHost: old ?? w.lastHost };
    w.lastHost = undefined;
    this.ctx.deliveries.notify(hooks, (h, world) => h.onEvent?.(world, 'workload-moved', payload));
  }

  // ------------------------------------------------------------------ losing hosts

  /** The workloads on a lost instance lose their host (an outage unless a successor is already serving). */
  loseHost(id: InstanceId): void {
    for (const w of this.workloads) {
      if (w.next === id) w.next = undefined;
      if (w.host !== id) continue;
      w.host = undefined;
      w.startedAt = undefined;
      w.restart = undefined;
      w.lastHost = id;
      w.lostAt = this.now();
      const m = this.instances.meta.get(id);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', id);
    }
  }

  /** Workloads that moved off this instance ahead of its reclaim were still interrupted by it. */
  hostReclaimed(id: InstanceId): void {
    for (const e of this.episodes) if (e.fromHost === id && e.kind === 'move') e.kind = 'spot';
  }

  private openEpisode(w: SimWorkload, kind: EpisodeKind, fromHost: InstanceId | undefined): void {
    if (w.episode !== undefined) {
      // A second loss inside an open episode stays in it; a Spot or voluntary cause outranks a move.
      if (w.episode.kind === 'move' && kind !== 'move') w.episode.kind = kind;
      return;
    }
    w.episode = {
      kind,
      workloadId: w.id,
      groupId: w.groupId,
      start: this.now(),
      unservedVcpuMinutes: 0,
      unservedGibMinutes: 0,
      ...(fromHost !== undefined ? { fromHost } : {}),
    };
    this.episodes.push(w.episode);
  }

  // ------------------------------------------------------------------ voluntary disruptions and their budgets

  /**
   * Voluntary disruption bookkeeping: counts a budget violation when the budget had no room. A disruption budget
   * protects a group's loads (a service's replicas), so it is the group of the load on the host that is charged —
   * the host's own group for a primary member, the load's home group for a standby member lending it capacity
   * (README "Raising capacity under concurrent notices, and giving standby capacity back"); an empty host charges its own group.
   */
  recordVoluntaryDisruption(id: InstanceId): void {
    const i = this.instances.instance(id);
    const m = this.instances.meta.get(id);
    if (i === undefined || m === undefined || m.voluntary) return;
    const groupId = this.disruptedGroup(id, i.groupId);
    const policy = this.ctx.fleet.policies.get(groupId);
    const inFlight = this.voluntaryInFlight(groupId);
    const allowed = policy ? allowedDisruptions(policy.disruptionBudget, this.groupSize(groupId)) : 0;
    if (inFlight + 1 > allowed) this.ctx.totals.budgetViolations += 1;
    m.voluntary = true;
    this.ctx.totals.voluntaryInterruptions += 1;
  }

  /** The group whose load a disruption of `host` disrupts: that of the load it serves, else its own. */
  private disruptedGroup(host: InstanceId, hostGroup: GroupId): GroupId {
    return this.workloads.find((w) => w.host === host)?.groupId ?? hostGroup;
  }

  /** Members running or starting (what a disruption budget is a share of). */
  groupSize(groupId: GroupId): number {
    return this.instances.instances().filter((x) => x.groupId === groupId && !x.warm && (x.state === 'running' || x.state === 'pending')).length;
  }

  /**
   * Voluntary disruptions of a group's loads not over yet: a load that lost its host and has not recovered, or a
   * voluntarily disrupted host still serving the load (draining) — wherever that host is.
   */
  voluntaryInFlight(groupId: GroupId): number {
    return (
      this.episodes.filter((e) => e.kind === 'voluntary' && e.groupId === groupId && e.restoredAt === undefined && e.end === undefined).length +
      [...this.instances.meta.values()].filter(
        (m) =>
          m.voluntary &&
          this.instances.isAlive(m.id) &&
          !this.workloads.some((w) => w.episode?.fromHost === m.id) &&
          this.disruptedGroup(m.id, m.groupId) === groupId,
      ).length
    );
  }

  // ------------------------------------------------------------------ demand

  /** Demand of a workload at `at` including the post-restart effects on its current host. */
  workloadDemand(w: SimWorkload, at: number): { vcpu: number; memoryGiB: number } {
    const minute = this.ctx.fleet.sample.historyMinutes + Math.floor((at - this.ctx.startAt) / 60_000);
    const i = Math.min(w.demand.minutes - 1, Math.max(0, minute));
    const baseCpu = w.demand.vcpu[i] ?? 0;
    const baseMem = w.demand.memoryGiB[i] ?? 0;
    if (w.host === undefined || w.startedAt === undefined) return { vcpu: baseCpu, memoryGiB: baseMem };
    const tau = (at - w.startedAt) / 60_000;
    const model = this.ctx.params.postRestart;
    const variation = this.ctx.params.postRestartVariation?.get(w.id) ?? 1;
    return {
      vcpu: baseCpu * (1 + (warmUpMultiplier(model, 'cpu', tau) - 1) * variation) + catchUpVcpu(model, baseCpu, w.downtimeMinutes, tau),
      memoryGiB: baseMem * (1 + (warmUpMultiplier(model, 'memory', tau) - 1) * variation),
    };
  }

  /** Serving capacity of a workload now: its host, if serving. */
  workloadCapacity(w: SimWorkload): { vcpu: number; memoryGiB: number } {
    if (w.host !== undefined && this.instances.isServing(w.host)) {
      const r = this.instances.spec(w.host).resources;
      return { vcpu: r.vcpu, memoryGiB: r.memoryGiB };
    }
    return { vcpu: 0, memoryGiB: 0 };
  }
}
