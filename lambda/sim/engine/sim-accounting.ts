import type { InstanceId } from '../../core/domain';
import { lookupInstanceType } from '../../core/resources/catalog';
import { restartHorizonMinutes } from '../post-restart-demand';
import { hourlyCost, STOPPED_STORAGE_USD_PER_HOUR } from '../price-table';
import { coversHome, type SimApplication } from './sim-application';
import type { SimInstances } from './sim-instances';
import type { SimWorkload, TimelinePoint, WorldTotals } from './sim-types';
import { EPS, type WorldContext } from './world-context';

/** Totals at the start of a run: nothing demanded, served, billed or counted yet. */
export const emptyTotals = (): WorldTotals => ({
  unservedVcpuMinutes: 0,
  unservedGibMinutes: 0,
  demandVcpuMinutes: 0,
  servedVcpuMinutes: 0,
  costUsd: 0,
  spotCostUsd: 0,
  onDemandCostUsd: 0,
  onDemandCostByType: {},
  spotCostByType: {},
  spotHoursByType: {},
  storageCostUsd: 0,
  allOnDemandCostUsd: 0,
  spotInterruptions: 0,
  voluntaryInterruptions: 0,
  budgetViolations: 0,
  overCommits: 0,
  coldLaunches: 0,
  warmStarts: 0,
  rebalanceRecommendations: 0,
  lostRecommendations: 0,
  warnings: 0,
  failedActions: 0,
  healthCheckReplacements: 0,
  staleCapacityWrites: 0,
  standbyInstanceHours: 0,
  idleStandbyInstanceHours: 0,
  steadyUnservedVcpuMinutes: 0,
  deliveryFailures: 0,
  capacityReservationReclaims: 0,
  maintenanceStops: 0,
});

/** What the accounting reads of the world. */
export type AccountingContext = Pick<WorldContext, 'clock' | 'startAt' | 'cloud' | 'fleet' | 'params' | 'totals'>;
export type AccountedInstances = Pick<SimInstances, 'meta' | 'isAlive' | 'isServing' | 'spec'>;
export type AccountedApplication = Pick<SimApplication, 'workloads' | 'workloadDemand' | 'workloadCapacity' | 'isIdle'>;

/** Timeline points are 5-minute buckets (the report's charts). */
const TIMELINE_BUCKET_MS = 300_000;

/**
 * The accounting of a run, one step [now, now + step) at a time: the workloads' demand, what their hosts served and
 * what they did not (in the totals and in each workload's open episode), the post-restart peaks, the instances' cost,
 * the standby capacity used and left idle, and the timeline the report draws.
 */
export class SimAccounting {
  readonly timeline: TimelinePoint[] = [];
  private readonly restartHorizonMs: number;

  constructor(
    private readonly ctx: AccountingContext,
    private readonly instances: AccountedInstances,
    private readonly application: AccountedApplication,
  ) {
    this.restartHorizonMs = restartHorizonMinutes(ctx.params.postRestart) * 60_000;
    for (const type of [...ctx.fleet.catalog.keys()].sort()) {
      ctx.totals.onDemandCostByType[type] ??= 0;
      ctx.totals.spotCostByType[type] ??= 0;
      ctx.totals.spotHoursByType[type] ??= 0;
    }
  }

  /** Closes a workload's episode once it has run a restart horizon on a host that covers its home type. */
  private maybeCloseEpisode(w: SimWorkload): void {
    const e = w.episode;
    if (e === undefined || w.host === undefined || w.startedAt === undefined || !this.instances.isServing(w.host)) return;
    if (!coversHome(w, this.instances.spec(w.host).resources)) return;
    const stepEnd = this.ctx.clock.now() + this.ctx.params.stepSeconds * 1000;
    if (stepEnd - w.startedAt < this.restartHorizonMs) return;
    e.end = stepEnd;
    w.episode = undefined;
  }

  /** Accounts one step [now, now + step): demand, served, unserved, cost, episodes, standby use, timeline. */
  accountStep(): void {
    const { params, totals, cloud, fleet } = this.ctx;
    const stepMs = params.stepSeconds * 1000;
    const stepMin = params.stepSeconds / 60;
    const stepHours = params.stepSeconds / 3600;
    const t = this.ctx.clock.now();
    let demandV = 0;
    let capV = 0;
    let unservedV = 0;
    let servedV = 0;
    for (const w of this.application.workloads) {
      const d = this.application.workloadDemand(w, t);
      const c = this.application.workloadCapacity(w);
      const uV = Math.max(0, d.vcpu - c.vcpu);
      const uM = Math.max(0, d.memoryGiB - c.memoryGiB);
      const sV = d.vcpu - uV;
      if (params.checkInvariants) {
        if (!(sV >= -EPS && sV <= c.vcpu + EPS && Math.abs(sV + uV - d.vcpu) < 1e-6))
          throw new Error(`invariant: served ${sV} + unserved ${uV} ≠ demand ${d.vcpu} (capacity ${c.vcpu}) for ${w.id} at ${t}`);
      }
      demandV += d.vcpu;
      capV += c.vcpu;
      unservedV += uV;
      servedV += sV;
      totals.unservedVcpuMinutes += uV * stepMin;
      totals.unservedGibMinutes += uM * stepMin;
      if (w.restart !== undefined) {
        if (t - w.restart.startedAt >= this.restartHorizonMs) w.restart = undefined;
        else {
          w.restart.peakVcpu = Math.max(w.restart.peakVcpu, d.vcpu);
          w.restart.peakMemoryGiB = Math.max(w.restart.peakMemoryGiB, d.memoryGiB);
        }
      }
      const e = w.episode;
      if (e !== undefined) {
        e.unservedVcpuMinutes += uV * stepMin;
        e.unservedGibMinutes += uM * stepMin;
        if (uV > EPS || uM > EPS) e.lastUnservedEnd = t + stepMs;
        if (e.restoredAt === undefined) {
          const served = w.host !== undefined && this.instances.isServing(w.host) && uV <= EPS && uM <= EPS;
          if (!served) e.servedSince = undefined;
          else {
            e.servedSince ??= t;
            if (t + stepMs - e.servedSince >= 60_000) e.restoredAt = e.servedSince;
          }
        }
        this.maybeCloseEpisode(w);
      } else {
        totals.steadyUnservedVcpuMinutes += uV * stepMin;
      }
      totals.allOnDemandCostUsd += lookupInstanceType(fleet.catalog, w.homeType).onDemandHourlyUsd * stepHours;
    }
    totals.demandVcpuMinutes += demandV * stepMin;
    totals.servedVcpuMinutes += servedV * stepMin;
    let cost = 0;
    for (const i of cloud.instanceViews()) {
      if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'pending') {
        // EC2 bills neither pending nor shutting-down nor terminated instances (EC2 User Guide, "Instance state" table).
        continue;
      }
      const spec = lookupInstanceType(fleet.catalog, i.instanceType);
      const hibernating = i.state === 'stopping' && this.instances.meta.get(i.id)?.hibernating === true;
      if (i.state === 'running' || hibernating) {
        const c = hourlyCost(spec, i.lifecycle, 'running') * stepHours;
        cost += c;
        if (i.lifecycle === 'spot') {
          totals.spotCostUsd += c;
          totals.spotCostByType[i.instanceType] = (totals.spotCostByType[i.instanceType] ?? 0) + c;
          totals.spotHoursByType[i.instanceType] = (totals.spotHoursByType[i.instanceType] ?? 0) + stepHours;
        } else {
          totals.onDemandCostUsd += c;
          totals.onDemandCostByType[i.instanceType] = (totals.onDemandCostByType[i.instanceType] ?? 0) + c;
        }
      } else {
        const c = STOPPED_STORAGE_USD_PER_HOUR * stepHours;
        cost += c;
        totals.storageCostUsd += c;
      }
      if (fleet.standbyGroups.has(i.groupId) && !i.warm && i.state === 'running') {
        totals.standbyInstanceHours += stepHours;
        if (this.application.isIdle(i.id)) totals.idleStandbyInstanceHours += stepHours;
      }
    }
    totals.costUsd += cost;
    if (params.checkInvariants) this.checkInvariants();
    const bucketAt = t - ((t - this.ctx.startAt) % TIMELINE_BUCKET_MS);
    let point = this.timeline[this.timeline.length - 1];
    if (point === undefined || point.at !== bucketAt) {
      point = { at: bucketAt, demandVcpu: 0, capacityVcpu: 0, unservedVcpu: 0, costUsd: 0, samples: 0 };
      this.timeline.push(point);
    }
    point.demandVcpu += demandV;
    point.capacityVcpu += capV;
    point.unservedVcpu += unservedV;
    point.costUsd += cost;
    point.samples += 1;
  }

  /** Conservation checks: one host per workload, no instance serving two workloads, every workload kept. */
  checkInvariants(): void {
    const { workloads } = this.application;
    const expected = this.ctx.fleet.sample.workloads.length;
    if (workloads.length !== expected) throw new Error(`invariant: ${workloads.length} workloads, expected ${expected}`);
    const claimed = new Map<InstanceId, string>();
    for (const w of workloads) {
      for (const id of [w.host, w.next]) {
        if (id === undefined) continue;
        const other = claimed.get(id);
        if (other !== undefined) throw new Error(`invariant: instance ${id} claimed by workloads ${other} and ${w.id}`);
        claimed.set(id, w.id);
        if (!this.instances.isAlive(id)) throw new Error(`invariant: workload ${w.id} holds dead instance ${id}`);
      }
      if (w.host !== undefined && w.next === w.host) throw new Error(`invariant: workload ${w.id} has host = next`);
    }
    for (const g of this.ctx.cloud.groupViews()) {
      if (g.desiredCapacity < g.minSize || g.desiredCapacity > g.maxSize)
        throw new Error(`invariant: group ${g.id} desired ${g.desiredCapacity} outside [${g.minSize}, ${g.maxSize}]`);
    }
  }
}
