import * as z from 'zod';
import { shapingPolicyYamlSchema } from './policy-schema';
import { parseWith } from './validation';
import { DEFAULT_MANAGED_TAG_KEY, DEFAULT_MANAGED_TAG_VALUE } from './env';

const groupName = z.string().regex(/^[\w\-.:/ ]{1,255}$/, 'expected an Auto Scaling group name');

/** Resource budget of a group's pool (snake_case as written in YAML / cdk.json). */
export const capacitySchema = z
  .object({
    vcpu: z.number().positive(),
    memory_gib: z.number().positive(),
    network_mbps: z.number().positive().default(100_000),
    disk_iops: z.number().positive().default(1_000_000),
  })
  .strict();

export const warmPoolConfigSchema = z
  .object({
    min_size: z.number().int().min(0).default(0),
    max_prepared_capacity: z.number().int().min(-1).default(-1),
    pool_state: z.enum(['Stopped', 'Running', 'Hibernated']).default('Stopped'),
    reuse_on_scale_in: z.boolean().default(true),
  })
  .strict();

export const managedGroupSchema = z
  .object({
    name: groupName,
    /** policy_name of an entry in `policies`. */
    policy: z.string().min(1),
    capacity: capacitySchema,
    /** Name of the standby On-Demand group (with a warm pool) backing this group. */
    standby: groupName.optional(),
  })
  .strict();

export const standbyGroupSchema = z
  .object({
    name: groupName,
    warm_pool: warmPoolConfigSchema.default({ min_size: 0, max_prepared_capacity: -1, pool_state: 'Stopped', reuse_on_scale_in: true }),
  })
  .strict();

/**
 * The whole spotwise configuration: from cdk.json context and/or a YAML file (`-c policy=./spotwise.yaml`),
 * validated at synth, passed to the Lambdas as JSON (Env.config) and validated again at cold start.
 */
export const spotwiseConfigSchema = z
  .object({
    groups: z.array(managedGroupSchema).default([]),
    /** Alternatively (or additionally) manage every group carrying this tag. */
    group_tag: z
      .object({ key: z.string().min(1), value: z.string() })
      .strict()
      .optional(),
    standby_groups: z.array(standbyGroupSchema).default([]),
    policies: z.array(shapingPolicyYamlSchema).min(1),
    managed_tag: z
      .object({ key: z.string().min(1), value: z.string().min(1) })
      .strict()
      .default({ key: DEFAULT_MANAGED_TAG_KEY, value: DEFAULT_MANAGED_TAG_VALUE }),
    profiler: z
      .object({
        /** Staging and prediction cadence: one invocation per group every rate_minutes. */
        rate_minutes: z.number().int().min(1).max(60).default(5),
        /**
         * CloudWatch read cadence. GetMetricData is billed per metric requested, so reading 1-minute points
         * every 20 minutes (instead of every 5-minute tick) keeps reads at about $0.17 per instance-month
         * with the CloudWatch agent (8 metrics), under the $0.20 target; the window covers the gap.
         */
        metrics_every_minutes: z.number().int().min(1).max(1440).default(20),
        window_minutes: z.number().int().min(5).max(1440).default(60),
        half_life_hours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(24),
      })
      .strict()
      .refine((p) => p.metrics_every_minutes <= p.window_minutes - 3, {
        path: ['metrics_every_minutes'],
        message: 'must be at most window_minutes - 3 (the read window must cover every minute between reads; the newest 3 minutes are not read yet)',
      })
      .default({ rate_minutes: 5, metrics_every_minutes: 20, window_minutes: 60, half_life_hours: 24 }),
    /**
     * The periodic retraining of the post-restart demand model from the fleet's own restart cycles
     * (lambda/app/retrain-model.ts): a scheduled function refits a candidate, gates it against the current model on
     * the newest cycles held back, and keeps the better one.
     */
    retraining: z
      .object({
        enabled: z.boolean().default(true),
        every_hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30)
          .default(24),
        /** Fewer stored cycles than this (over every named group): the run is skipped and says so. */
        min_cycles: z.number().int().min(10).max(100_000).default(40),
        /** Newest cycles read per group. */
        max_cycles_per_group: z.number().int().min(10).max(100_000).default(5_000),
        /** Share of the newest cycles held back to judge the candidate. */
        held_back_share: z.number().gt(0).lt(1).default(0.25),
        /** Seconds the fine-tuning may take (the function's timeout adds a minute for the rest). */
        budget_seconds: z.number().int().min(10).max(780).default(300),
      })
      .strict()
      .default({ enabled: true, every_hours: 24, min_cycles: 40, max_cycles_per_group: 5_000, held_back_share: 0.25, budget_seconds: 300 }),
    dry_run: z.boolean().default(true),
    alarm_email: z.email().optional(),
    /** Thresholds for the alarms. */
    alarms: z
      .object({
        reservation_refusals_per_5min: z.number().int().min(1).default(5),
        prediction_error_ratio: z.number().positive().default(0.5),
        stale_profile_minutes: z.number().int().min(1).default(30),
      })
      .strict()
      .default({ reservation_refusals_per_5min: 5, prediction_error_ratio: 0.5, stale_profile_minutes: 30 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const policyNames = new Set(cfg.policies.map((p) => p.policy_name));
    cfg.groups.forEach((g, i) => {
      if (!policyNames.has(g.policy)) {
        ctx.addIssue({ code: 'custom', path: ['groups', i, 'policy'], message: `no policy named ${JSON.stringify(g.policy)} in policies` });
      }
      if (g.standby !== undefined && !cfg.standby_groups.some((s) => s.name === g.standby)) {
        ctx.addIssue({ code: 'custom', path: ['groups', i, 'standby'], message: `no standby group named ${JSON.stringify(g.standby)} in standby_groups` });
      }
    });
    if (cfg.groups.length === 0 && cfg.group_tag === undefined) {
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'name at least one group, or set group_tag' });
    }
  });

export type SpotwiseConfigInput = z.input<typeof spotwiseConfigSchema>;
export type SpotwiseConfig = z.output<typeof spotwiseConfigSchema>;

export const parseSpotwiseConfig = (input: unknown): SpotwiseConfig => parseWith(spotwiseConfigSchema, 'spotwise configuration', input);
