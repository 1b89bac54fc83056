import type { ArtifactBytes } from '../adapters/model-artifact';
import { loadModelFromArtifacts, type ModelArtifactFiles, type ModelMetadata } from '../adapters/model-loader';
import { DEFAULT_FINE_TUNE, fineTune, modelForecasts, type FineTuneOptions } from '../adapters/tfjs-fine-tune';
import type { GroupId, LearnedCycle } from '../core/domain';
import { cycleRows, gateCandidate, scoreRows, splitByTime, type ScoresByDimension } from '../core/predict/learned-cycle';
import { MODEL_FEATURE_NAMES } from '../core/predict/model-features';
import type { CycleStore, ModelStore, RetrainingRecord } from '../ports/learning-store';

/**
 * The periodic retraining (issue: "model retraining is performed periodically"), shared by the scheduled retrainer
 * Lambda and `spotwise train --from-table`:
 *  1. the model forecasting now: the table's current model, else the bundled artifact;
 *  2. the newest stored cycles of every managed group (at most `maxCycles` each); fewer than `minCycles`: skipped;
 *  3. split by time: the newest `heldBackShare` are held back, the rest fit;
 *  4. a candidate fine-tuned from the current model on the fit cycles, within the time budget;
 *  5. both scored on the held-back cycles (weighted quantile loss, under-provision, weighted slack per dimension) and
 *     the gate (core/predict/learned-cycle.ts gateCandidate) decides which one forecasts;
 *  6. a kept candidate is stored under a condition on the version step 1 read (a concurrent run's model is never
 *     overwritten), and the run's record with its figures in any case.
 * `save: false` (the CLI without --save) decides and reports but writes nothing.
 */
export interface RetrainSettings {
  readonly groups: readonly GroupId[];
  readonly maxCycles: number;
  readonly minCycles: number;
  readonly heldBackShare: number;
  /** Wall-clock seconds the fine-tuning may take (the Lambda's timeout leaves room for the rest). */
  readonly budgetSeconds: number;
  readonly save: boolean;
  readonly fineTune?: Partial<Omit<FineTuneOptions, 'deadline'>>;
}

export const DEFAULT_RETRAIN_SETTINGS: Omit<RetrainSettings, 'groups' | 'save'> = { maxCycles: 5_000, minCycles: 40, heldBackShare: 0.25, budgetSeconds: 300 };

export interface RetrainDeps {
  readonly cycles: Pick<CycleStore, 'listCycles'>;
  readonly models: ModelStore;
  /** The artifact forecasting when the table holds no model (the bundled one), or undefined when there is none. */
  readonly bundled: () => ModelArtifactFiles | undefined;
  readonly now: () => number;
}

export interface RetrainResult {
  readonly record: RetrainingRecord;
  /** The model forecasting after the run (the candidate when it was kept), to write with --out. */
  readonly chosen?: { readonly artifact: ArtifactBytes; readonly metadata: ModelMetadata };
}

const scoresRecord = (s: ScoresByDimension): Record<string, unknown> => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;

/** Every named group's newest cycles (a group named twice is read once; a stored cycle is one item, so never twice). */
const readCycles = async (deps: RetrainDeps, settings: RetrainSettings): Promise<LearnedCycle[]> => {
  const out: LearnedCycle[] = [];
  for (const g of new Set(settings.groups)) out.push(...(await deps.cycles.listCycles(g, settings.maxCycles)));
  return out;
};

export const retrainModel = async (deps: RetrainDeps, settings: RetrainSettings): Promise<RetrainResult> => {
  const started = performance.now();
  const at = deps.now();
  const stored = await deps.models.getModel();
  const files: ModelArtifactFiles | undefined = stored ?? deps.bundled();
  const previousVersion = stored?.version ?? (typeof files?.metadata['version'] === 'string' ? `bundled ${files.metadata['version']}` : 'none');
  const finish = async (record: Omit<RetrainingRecord, 'at' | 'seconds' | 'previousVersion'>, chosen?: RetrainResult['chosen']): Promise<RetrainResult> => {
    const full: RetrainingRecord = { ...record, at, previousVersion, seconds: Math.round((performance.now() - started) / 100) / 10 };
    if (settings.save) await deps.models.putRetrainingRecord(full);
    return { record: full, ...(chosen !== undefined ? { chosen } : {}) };
  };
  if (files === undefined) {
    return finish({ outcome: 'skipped', reason: 'no model to start from (none stored, none bundled)', version: 'none', cycles: { fit: 0, heldBack: 0 } });
  }
  const current = await loadModelFromArtifacts(files.modelJson, files.weights, files.metadata, stored !== undefined ? 'table' : 'bundle');
  const currentArtifact: ArtifactBytes = { modelJson: files.modelJson, weights: files.weights };
  const keepCurrent = { artifact: currentArtifact, metadata: current.metadata };

  const cycles = await readCycles(deps, settings);
  if (cycles.length < settings.minCycles) {
    return finish(
      {
        outcome: 'skipped',
        reason: `${cycles.length} stored restart cycle(s) across ${settings.groups.length} group(s); retraining needs ${settings.minCycles}`,
        version: current.metadata.version,
        cycles: { fit: 0, heldBack: 0 },
      },
      keepCurrent,
    );
  }
  const { fit, heldBack } = splitByTime(cycles, settings.heldBackShare);
  const n = MODEL_FEATURE_NAMES.length;
  const fitRows = cycleRows(fit, n);
  const heldRows = cycleRows(heldBack, n);
  const counts = { fit: fit.length, heldBack: heldBack.length };
  if (fitRows.length < 2 || heldRows.length === 0) {
    return finish(
      {
        outcome: 'skipped',
        reason: `no usable rows (${fitRows.length} to fit, ${heldRows.length} held back)`,
        version: current.metadata.version,
        cycles: counts,
      },
      keepCurrent,
    );
  }
  const currentScores = scoreRows(heldRows, modelForecasts(current, heldRows));
  const tuned = await fineTune(
    currentArtifact,
    current.metadata,
    fitRows,
    { ...DEFAULT_FINE_TUNE, ...settings.fineTune, deadline: performance.now() + settings.budgetSeconds * 1000 },
    at,
  );
  const candidateScores = scoreRows(heldRows, modelForecasts(tuned.loaded, heldRows));
  tuned.loaded.model.dispose();
  current.model.dispose();
  const decision = gateCandidate(currentScores, candidateScores);
  const scores = { current: scoresRecord(currentScores), candidate: scoresRecord(candidateScores) };
  if (decision.keep === 'current') {
    return finish({ outcome: 'current', reason: decision.reason, version: current.metadata.version, cycles: counts, scores }, keepCurrent);
  }
  const metadata: ModelMetadata = { ...tuned.metadata, notes: [`gate: ${decision.reason}`, ...tuned.metadata.notes] };
  if (settings.save) {
    const won = await deps.models.putModel(
      {
        version: metadata.version,
        modelJson: tuned.artifact.modelJson,
        weights: tuned.artifact.weights,
        metadata: metadata as unknown as Record<string, unknown>,
        savedAt: at,
      },
      stored?.version,
    );
    if (!won) {
      return finish(
        {
          outcome: 'current',
          reason: `another run stored a model after this one read ${previousVersion}; its candidate is dropped`,
          version: 'changed',
          cycles: counts,
          scores,
        },
        keepCurrent,
      );
    }
  }
  return finish({ outcome: 'candidate', reason: decision.reason, version: metadata.version, cycles: counts, scores }, { artifact: tuned.artifact, metadata });
};
