import type { ConfigLayer } from '../../lambda/contracts/config-file';

/** Graviton types the demo's primary Spot group may launch (and the standby group may be retyped to). */
export const DEMO_INSTANCE_TYPES = ['t4g.medium', 't4g.large', 'm6g.medium', 'm7g.medium', 'c6g.large', 'c7g.large'] as const;
/** The standby group's launch type: the cheapest of the list that every demo job fits (2 vCPU, 4 GiB). */
export const DEMO_STANDBY_INSTANCE_TYPE = 't4g.medium';
export const DEMO_POLICY_NAME = 'demo';

/** Names of the demo groups: prefixed with the stack name so two demo stacks in one account do not clash. */
export const demoGroupNames = (stackName: string): { readonly primary: string; readonly standby: string } => ({
  primary: `${stackName}-demo-primary`,
  standby: `${stackName}-demo-standby`,
});

/**
 * The configuration of the demo fleet (`-c demo=true`). It comes first, so a user configuration given
 * alongside it can override any of it (for example `-c dry_run=true`). The demo manages only the groups
 * the stack itself creates, so it acts for real (dry_run false) unless told otherwise.
 */
export const demoConfigLayer = (stackName: string): ConfigLayer => {
  const names = demoGroupNames(stackName);
  return {
    source: 'the demo fleet (-c demo=true)',
    value: {
      groups: [{ name: names.primary, policy: DEMO_POLICY_NAME, capacity: { vcpu: 8, memory_gib: 16 }, standby: names.standby }],
      standby_groups: [{ name: names.standby, warm_pool: { min_size: 1, max_prepared_capacity: 2, pool_state: 'Stopped', reuse_on_scale_in: true } }],
      policies: [
        {
          policy_name: DEMO_POLICY_NAME,
          priority: 'high',
          behavior: { eviction_threshold: 0.9, preemption_enabled: false },
          disruption_budget: { max_unavailable: 1 },
          forecast_quantile: 'p90',
          post_restart_window_minutes: 30,
          allowed_instance_types: [...DEMO_INSTANCE_TYPES],
        },
      ],
      dry_run: false,
    },
  };
};
