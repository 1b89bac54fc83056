import * as z from 'zod';
import { readModelArtifact, type ModelArtifactFiles } from '../adapters/model-loader';
import { MetricDimension, MetricName } from '../contracts/metrics';
import type { SpotwiseConfig } from '../contracts/config';
import { toValidationError } from '../contracts/validation';
import type { GroupId } from '../core/domain';
import type { CycleStore, ModelStore } from '../ports/learning-store';
import { buildAwsDeps } from '../app/aws-deps';
import { instrumented } from '../app/handle-event';
import { resolveDeps, type DepsSource } from '../app/handler-deps';
import { retrainModel, type RetrainSettings } from '../app/retrain-model';
import { lazy } from '../app/runtime';
import type { Telemetry } from '../app/telemetry';

/**
 * The retrainer Lambda: the periodic retraining of the post-restart demand model (lambda/app/retrain-model.ts),
 * invoked by an EventBridge schedule every `retraining.every_hours`. It reads every named group's stored restart
 * cycles, fine-tunes a candidate from the model forecasting now, and stores the candidate as the table's current model
 * only when it forecasts the held-back (newest) cycles better; the profiler picks a new version up on its next tick.
 * Each run is recorded (outcome, reason, figures) and counted (RetrainingRuns by Outcome).
 */
export interface RetrainerDeps {
  readonly telemetry: Telemetry;
  readonly cycles: Pick<CycleStore, 'listCycles'>;
  readonly models: ModelStore;
  readonly bundled: () => ModelArtifactFiles | undefined;
  readonly now: () => number;
  /** The groups whose cycles are read (every group the configuration names: only those are profiled). */
  readonly groups: readonly GroupId[];
  readonly retraining: SpotwiseConfig['retraining'];
}

export type RetrainerResult =
  | { readonly status: 'malformed'; readonly errors: string }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'retrained'; readonly outcome: 'candidate' | 'current' | 'skipped'; readonly version: string; readonly reason: string };

const HANDLER = 'retrainer';

/** The EventBridge scheduled-rule event (source aws.events, detail-type "Scheduled Event"). */
const scheduledEventSchema = z.object({
  id: z.string().min(1),
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.iso.datetime(),
});

export const makeHandler =
  (source: DepsSource<RetrainerDeps>) =>
  async (event: unknown): Promise<RetrainerResult> => {
    const deps = resolveDeps(source);
    return instrumented(deps, HANDLER, async () => {
      const { log, metrics } = deps.telemetry;
      const parsed = scheduledEventSchema.safeParse(event);
      if (!parsed.success) {
        const errors = toValidationError('scheduled event', parsed.error, event).message;
        log.error('retrainer: not a scheduled event', { handler: HANDLER, errors });
        metrics.metric(MetricName.malformedEvents, 'Count', 1);
        return { status: 'malformed', errors };
      }
      const keys = { handler: HANDLER, eventId: parsed.data.id };
      if (!deps.retraining.enabled) return { status: 'ignored', reason: 'retraining.enabled is false' };
      const settings: RetrainSettings = {
        groups: deps.groups,
        maxCycles: deps.retraining.max_cycles_per_group,
        minCycles: deps.retraining.min_cycles,
        heldBackShare: deps.retraining.held_back_share,
        budgetSeconds: deps.retraining.budget_seconds,
        save: true,
      };
      const { record } = await retrainModel(deps, settings);
      metrics.metric(MetricName.retrainingRuns, 'Count', 1, { [MetricDimension.outcome]: record.outcome });
      const chosen = record.outcome === 'candidate' ? record.scores?.candidate : record.scores?.current;
      const wql = (chosen?.['vcpu'] as { weightedQuantileLoss?: number | null } | undefined)?.weightedQuantileLoss;
      if (typeof wql === 'number') metrics.metric(MetricName.retrainingHeldBackWql, 'None', wql);
      log.info('retraining run', {
        ...keys,
        outcome: record.outcome,
        version: record.version,
        previousVersion: record.previousVersion,
        reason: record.reason,
        cycles: record.cycles,
        seconds: record.seconds,
      });
      return { status: 'retrained', outcome: record.outcome, version: record.version, reason: record.reason };
    });
  };

/** The bundled artifact, when the function was bundled with one (Env.modelDir). */
export const bundledArtifact = (modelDir: string | undefined): (() => ModelArtifactFiles | undefined) =>
  lazy(() => (modelDir === undefined ? undefined : readModelArtifact(modelDir)));

export const defaultDeps = (): (() => RetrainerDeps) =>
  lazy(() => {
    const aws = buildAwsDeps(HANDLER);
    return {
      telemetry: aws.telemetry,
      cycles: aws.ports.state,
      models: aws.models,
      bundled: bundledArtifact(aws.settings.modelDir),
      now: () => aws.ports.clock.now(),
      groups: [...aws.managed.groups.keys()],
      retraining: aws.settings.config.retraining,
    };
  });

export const handler = makeHandler(defaultDeps());
