import * as z from 'zod';

/**
 * The YAML shaping policy: the configuration's contract, shared by synth (lib/), every Lambda's cold start and the
 * CLI. The core maps a validated policy onto its ShapingPolicy (lambda/core/policy/to-shaping-policy.ts).
 */

/** Placement weights a policy gets when it names none (the core's DEFAULT_PLACEMENT_WEIGHTS are these). */
export const DEFAULT_PLACEMENT_WEIGHT_VALUES = Object.freeze({ priority: 0.5, freeCpu: 0.3, freeMemory: 0.2 });

/** Points a behaviour profile keeps in `recent`: one hour of 1-minute samples (the model's feature window). */
export const RECENT_LIMIT = 60;

/** Seed 9848041 names priorities high/medium/low; spotwise uses 0..100 and maps the names. */
export const PRIORITY_NAMES = { high: 90, medium: 50, low: 10 } as const;

const percent = z
  .string()
  .regex(/^\d{1,3}%$/, 'expected a percentage like "10%"')
  .refine((p) => Number.parseInt(p, 10) <= 100, 'expected a percentage within 0%..100%');

/**
 * The YAML shaping policy (snake_case, as in seed 9848041), extended with spotwise's settings.
 * Unknown keys are rejected so a typo never silently falls back to a default.
 */
export const shapingPolicyYamlSchema = z
  .object({
    policy_name: z.string().min(1).max(128),
    priority: z.union([z.enum(['high', 'medium', 'low']), z.number().int().min(0).max(100)], {
      error: 'expected high, medium, low or an integer within 0..100',
    }),
    resource_demand: z
      .object({
        cpu_cores: z.number().positive().optional(),
        memory_gb: z.number().positive().optional(),
        network_bandwidth_mbps: z.number().positive().optional(),
        storage_io_ops: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    behavior: z
      .object({
        eviction_threshold: z.number().gt(0).max(1).default(0.9),
        preemption_enabled: z.boolean().default(false),
      })
      .strict()
      .default({ eviction_threshold: 0.9, preemption_enabled: false }),
    disruption_budget: z
      .object({ max_unavailable: z.union([z.number().int().min(0), percent]) })
      .strict()
      .default({ max_unavailable: 1 }),
    forecast_quantile: z.enum(['p50', 'p90']).default('p90'),
    post_restart_window_minutes: z.number().int().min(5).max(240).default(30),
    allowed_instance_types: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'expected an instance type like "m5.large"')).default([]),
    allow_stop_modify_start: z.boolean().default(false),
    dry_run: z.boolean().default(false),
    /**
     * Resource borrowing (seed 9588822, "subject to pre-defined limits and priorities"): the share of a
     * lower-priority instance's unused allocation (its allocation minus its recent use) that a priority request's
     * reservation of this group may borrow when it does not fit the pool (lambda/core/pool/borrowing.ts). 0 (the
     * default) turns borrowing off: a loan is called back when the lender's use rises, which releases the whole
     * borrowing reservation, so it is a choice an operator makes.
     */
    borrow_limit: z.number().min(0).max(1).default(0),
    /**
     * Where a restarted instance's load lands among running siblings with room: the weights of the
     * placement score's free-CPU and free-memory fractions (seed 9848041: 0.3 and 0.2). The seed's
     * priority term (priority · 0.5) is not a setting: it adds the same amount to every target of one
     * demand, so no weight of it could change where that demand lands.
     */
    placement_weights: z
      .object({
        free_cpu: z.number().min(0).max(1000).default(DEFAULT_PLACEMENT_WEIGHT_VALUES.freeCpu),
        free_memory: z.number().min(0).max(1000).default(DEFAULT_PLACEMENT_WEIGHT_VALUES.freeMemory),
      })
      .strict()
      .superRefine((w, ctx) => {
        if (w.free_cpu + w.free_memory > 0) return;
        ctx.addIssue({
          code: 'custom',
          message: `free_cpu ${w.free_cpu} and free_memory ${w.free_memory}: at least one must be above 0 (with both 0 every target scores the same)`,
        });
      })
      .default({ free_cpu: DEFAULT_PLACEMENT_WEIGHT_VALUES.freeCpu, free_memory: DEFAULT_PLACEMENT_WEIGHT_VALUES.freeMemory }),
    /**
     * Unstable Spot pools: `reclaim_threshold` Spot warnings of one instance type × AZ of the group within
     * `window_minutes` make the pool unstable; the load of its reclaimed instances then goes to the
     * On-Demand standby group for `cool_down_minutes` after the last reclaim that kept it over the threshold.
     * One pool-wide burst counts each of its reclaims: a pool that just lost three of its instances is
     * where a replacement is least likely to stay. Off by default: it trades Spot savings for On-Demand
     * capacity, and it keeps one ledger record per Spot warning.
     */
    unstable_pool: z
      .object({
        enabled: z.boolean().default(false),
        reclaim_threshold: z.number().int().min(1).max(1000).default(3),
        window_minutes: z.number().int().min(5).max(1440).default(60),
        cool_down_minutes: z
          .number()
          .int()
          .min(5)
          .max(7 * 1440)
          .default(120),
      })
      .strict()
      .default({ enabled: false, reclaim_threshold: 3, window_minutes: 60, cool_down_minutes: 120 }),
    /**
     * Throttling: an instance whose observed use stays above its pool allocation on a dimension for
     * `over_allocation_minutes` consecutive minutes gets a `Throttle Requested` event on the spotwise bus (the
     * operator enforces it) and is the first eviction candidate where `behavior.preemption_enabled` is set. Off by
     * default: it can make a top-priority instance an eviction candidate. At most 60 minutes: the profile keeps the
     * last hour of 1-minute points (RECENT_LIMIT), so a longer run could never be seen.
     */
    throttle: z
      .object({
        enabled: z.boolean().default(false),
        over_allocation_minutes: z.number().int().min(1).max(RECENT_LIMIT).default(15),
      })
      .strict()
      .default({ enabled: false, over_allocation_minutes: 15 }),
  })
  .strict();

export type ShapingPolicyYaml = z.input<typeof shapingPolicyYamlSchema>;
