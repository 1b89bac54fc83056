import type { GroupId, LearnedCycle } from '../core/domain';

/**
 * What the periodic retraining reads and writes (lambda/app/retrain-model.ts): the fleet's closed restart cycles as
 * training cases, and the model the profiler forecasts with.
 */
export interface CycleStore {
  /** Stores closed cycles (idempotent per group, restart time and instance: a redelivered tick writes the same item). */
  putCycles(cycles: readonly LearnedCycle[]): Promise<void>;
  /** A group's stored cycles, newest first, at most `limit`. */
  listCycles(groupId: GroupId, limit: number): Promise<LearnedCycle[]>;
}

/** A model artifact as stored: the parts `npm run train` writes (model.json, weights.bin, metadata.json). */
export interface StoredModel {
  readonly version: string;
  readonly modelJson: Record<string, unknown>;
  readonly weights: Uint8Array;
  readonly metadata: Record<string, unknown>;
  readonly savedAt: number;
}

/** What one retraining run decided, and on which figures (kept for the operator; the newest is shown by status). */
export interface RetrainingRecord {
  readonly at: number;
  /** `candidate`: the retrained model replaced the current one; `current`: it was refused; `skipped`: nothing trained. */
  readonly outcome: 'candidate' | 'current' | 'skipped';
  readonly reason: string;
  /** The version forecasting after this run, and the one before it (undefined: the bundled model). */
  readonly version: string;
  readonly previousVersion: string;
  readonly cycles: { readonly fit: number; readonly heldBack: number };
  readonly scores?: {
    readonly current: Readonly<Record<string, unknown>>;
    readonly candidate: Readonly<Record<string, unknown>>;
  };
  readonly seconds: number;
}

export interface ModelStore {
  /** The stored model's version only (a cheap read: the profiler asks every tick), undefined when none is stored. */
  getModelVersion(): Promise<string | undefined>;
  getModel(): Promise<StoredModel | undefined>;
  /**
   * Stores `model` as the current one only while the stored version is still `expected` (undefined: none stored), so two
   * runs never overwrite each other's decision; false when another run got there first.
   */
  putModel(model: StoredModel, expected: string | undefined): Promise<boolean>;
  putRetrainingRecord(record: RetrainingRecord): Promise<void>;
  /** The newest records, newest first. */
  listRetrainingRecords(limit: number): Promise<RetrainingRecord[]>;
}
