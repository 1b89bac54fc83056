import { DIMENSIONS, type FleetView, type ForecastQuantile, type GroupView, type ManagedInstance, type Resources } from '../domain';
import { forecastDemand } from '../predict/forecast-demand';

/** What an instance will need right after it restarts, or why that cannot be said. */
export type DemandEstimate =
  { readonly kind: 'known'; readonly amount: Resources; readonly source: 'forecast' | 'policy' } | { readonly kind: 'unknown'; readonly reason: string };

const isUsable = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * The policy's `resource_demand` (seed 9848041) as an override: a dimension the operator declared
 * replaces the forecast's value, because an operator who writes "this job needs 16 GiB" knows
 * something the metrics may not (e.g. a cache warmed on start). Only finite, non-negative values
 * are applied; the schema already guarantees that, this guards hand-built policies.
 */
const applyOverrides = (amount: Resources, group: GroupView): Resources => {
  const declared = group.policy.resourceDemand ?? {};
  const out: Record<string, number> = { ...amount };
  for (const d of DIMENSIONS) {
    const v = declared[d];
    if (isUsable(v)) out[d] = v;
  }
  return out as Resources;
};

const declaresEveryDimension = (group: GroupView): Resources | undefined => {
  const declared = group.policy.resourceDemand;
  if (declared === undefined || !DIMENSIONS.every((d) => isUsable(declared[d]))) return undefined;
  return { vcpu: declared.vcpu ?? 0, memoryGiB: declared.memoryGiB ?? 0, networkMbps: declared.networkMbps ?? 0, diskIops: declared.diskIops ?? 0 };
};

/**
 * The post-restart demand to reserve for `instance`: its stored forecast at `quantile` (the group
 * policy's forecast quantile unless given), with the policy's declared demand overriding per
 * dimension. Fails closed: no forecast, an 'unknown' forecast, a forecast for another instance, or a
 * NaN / negative / infinite value in any dimension give 'unknown' with the reason — never a guess of
 * zero. The single exception is a policy that declares all four dimensions: then the operator's
 * numbers stand on their own and no forecast is needed.
 */
export const estimatePostRestartDemand = (
  instance: ManagedInstance,
  group: GroupView,
  fleet: FleetView,
  quantile: ForecastQuantile = group.policy.forecastQuantile,
): DemandEstimate => {
  const forecast = fleet.forecasts.get(instance.id);
  const unknown = (reason: string): DemandEstimate => {
    const declared = declaresEveryDimension(group);
    return declared !== undefined ? { kind: 'known', amount: declared, source: 'policy' } : { kind: 'unknown', reason };
  };
  if (forecast === undefined) return unknown(`no stored forecast for ${instance.id}`);
  if (forecast.instanceId !== instance.id) return unknown(`the forecast stored for ${instance.id} is for ${forecast.instanceId}`);
  if (forecast.kind === 'unknown') return unknown(`forecast for ${instance.id} is unknown: ${forecast.reason}`);
  const raw = forecastDemand(forecast, quantile);
  if (raw === undefined) return unknown(`forecast for ${instance.id} has no ${quantile}`);
  const amount = applyOverrides(raw, group);
  const bad = DIMENSIONS.find((d) => !isUsable(amount[d]));
  if (bad !== undefined) return unknown(`forecast for ${instance.id} has ${bad} ${quantile} = ${String(amount[bad])}`);
  return { kind: 'known', amount, source: 'forecast' };
};

/** The shape (all four dimensions) of the instance's type, or undefined when the catalog does not know it. */
export const instanceShape = (instance: Pick<ManagedInstance, 'instanceType'>, fleet: FleetView): Resources | undefined => {
  const spec = fleet.catalog.get(instance.instanceType);
  if (spec === undefined || !DIMENSIONS.every((d) => isUsable(spec.resources[d]))) return undefined;
  return spec.resources;
};

/**
 * The stand-in demand for an instance with no usable forecast: its type's vCPU and memory. Network
 * and disk figures in the catalog are the type's ceilings, not what the workload uses, and they differ
 * between families (a c5.large's 20,000 IOPS would rule out every m5), so they are left at 0 rather
 * than demanding the whole ceiling of another family. Undefined when the catalog does not know the type.
 */
export const standInDemand = (instance: Pick<ManagedInstance, 'instanceType'>, fleet: FleetView): Resources | undefined => {
  const shape = instanceShape(instance, fleet);
  return shape === undefined ? undefined : { vcpu: shape.vcpu, memoryGiB: shape.memoryGiB, networkMbps: 0, diskIops: 0 };
};
