import type * as z from 'zod';
import { PRIORITY_NAMES, type shapingPolicyYamlSchema } from '../../contracts/policy-schema';
import type { ShapingPolicy } from '../domain';
import { DEFAULT_PLACEMENT_WEIGHTS } from '../placement/placement-score';

/** Maps a validated YAML policy onto the core's ShapingPolicy. */
export const toShapingPolicy = (p: z.output<typeof shapingPolicyYamlSchema>): ShapingPolicy => ({
  policyName: p.policy_name,
  priority: typeof p.priority === 'number' ? p.priority : PRIORITY_NAMES[p.priority],
  ...(p.resource_demand
    ? {
        resourceDemand: {
          ...(p.resource_demand.cpu_cores !== undefined ? { vcpu: p.resource_demand.cpu_cores } : {}),
          ...(p.resource_demand.memory_gb !== undefined ? { memoryGiB: p.resource_demand.memory_gb } : {}),
          ...(p.resource_demand.network_bandwidth_mbps !== undefined ? { networkMbps: p.resource_demand.network_bandwidth_mbps } : {}),
          ...(p.resource_demand.storage_io_ops !== undefined ? { diskIops: p.resource_demand.storage_io_ops } : {}),
        },
      }
    : {}),
  evictionThreshold: p.behavior.eviction_threshold,
  preemptionEnabled: p.behavior.preemption_enabled,
  disruptionBudget: { maxUnavailable: p.disruption_budget.max_unavailable as number | `${number}%` },
  forecastQuantile: p.forecast_quantile,
  postRestartWindowMinutes: p.post_restart_window_minutes,
  allowedInstanceTypes: p.allowed_instance_types,
  allowStopModifyStart: p.allow_stop_modify_start,
  dryRun: p.dry_run,
  placementWeights: { priority: DEFAULT_PLACEMENT_WEIGHTS.priority, freeCpu: p.placement_weights.free_cpu, freeMemory: p.placement_weights.free_memory },
  unstablePool: {
    enabled: p.unstable_pool.enabled,
    reclaimThreshold: p.unstable_pool.reclaim_threshold,
    windowMinutes: p.unstable_pool.window_minutes,
    coolDownMinutes: p.unstable_pool.cool_down_minutes,
  },
  throttle: { enabled: p.throttle.enabled, overAllocationMinutes: p.throttle.over_allocation_minutes },
  borrowLimit: p.borrow_limit,
});
