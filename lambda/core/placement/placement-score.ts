import * as z from 'zod';
import { DEFAULT_PLACEMENT_WEIGHT_VALUES } from '../../contracts/policy-schema';
import { parseWith } from '../../contracts/validation';
import type { Resources } from '../domain';
import { fits, subtractResources, validateResources } from '../resources/resources';

/**
 * Where a reserved demand lands (a warm instance, a launch in some AZ / instance type): seed 9848041's
 * resource-broker score
 *
 *     score = priority · 0.5 + free-CPU fraction · 0.3 + free-memory fraction · 0.2
 *
 * with the free fractions taken BEFORE placing the demand (as the seed's calculate_node_score does:
 * (total − used) / total), so among targets with room the emptiest one wins — spreading, which keeps
 * one spot pool's correlated interruption from taking all of a group's restarted load at once.
 * The priority term is the same for every target of one demand; it ranks demands against each other
 * (which reservation is placed first), not targets.
 */

/** Weights of the three terms. Each ≥ 0 and finite, at least one > 0. */
export interface PlacementWeights {
  readonly priority: number;
  readonly freeCpu: number;
  readonly freeMemory: number;
}

export const DEFAULT_PLACEMENT_WEIGHTS: PlacementWeights = DEFAULT_PLACEMENT_WEIGHT_VALUES;

/** Schema for weights read from configuration (camelCase keys; unknown keys rejected so typos surface). */
export const placementWeightsSchema = z
  .object({
    priority: z.number().min(0),
    freeCpu: z.number().min(0),
    freeMemory: z.number().min(0),
  })
  .strict()
  .refine((w) => w.priority + w.freeCpu + w.freeMemory > 0, { message: 'at least one weight must be greater than 0' });

/** Validates weights from configuration; throws ValidationError naming the field and the value. */
export const parsePlacementWeights = (input: unknown): PlacementWeights => parseWith(placementWeightsSchema, 'placement weights', input);

/** A priority or fraction outside [0, 1], or a bad target list. */
export class InvalidPlacementInputError extends Error {
  override readonly name = 'InvalidPlacementInputError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`placement ${field}: expected ${expected}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

export interface PlacementTarget {
  readonly id: string;
  readonly capacity: Resources;
  readonly used: Resources;
}

/** Free share of one dimension, clamped to [0, 1]; a target with no capacity in it has none free. */
const freeFraction = (capacity: number, used: number): number => (capacity > 0 ? Math.min(1, Math.max(0, (capacity - used) / capacity)) : 0);

const checkWeights = (weights: PlacementWeights): PlacementWeights => (weights === DEFAULT_PLACEMENT_WEIGHTS ? weights : parsePlacementWeights(weights));

const checkPriority = (priority01: number): number => {
  if (!Number.isFinite(priority01) || priority01 < 0 || priority01 > 1)
    throw new InvalidPlacementInputError('priority01', priority01, 'a number between 0 and 1');
  return priority01;
};

const scoreChecked = (
  target: { capacity: Resources; used: Resources },
  demand: Resources,
  priority01: number,
  w: PlacementWeights,
): number | 'does-not-fit' => {
  // The seed checks CPU and memory only; spotwise reserves all four dimensions, so all four must fit
  // (an over-used target — used > capacity — fits nothing).
  if (!fits(demand, subtractResources(target.capacity, target.used))) return 'does-not-fit';
  return (
    priority01 * w.priority +
    freeFraction(target.capacity.vcpu, target.used.vcpu) * w.freeCpu +
    freeFraction(target.capacity.memoryGiB, target.used.memoryGiB) * w.freeMemory
  );
};

/**
 * Seed 9848041's node score of placing `demand` (priority `priority01` in 0..1) on `target`, or
 * 'does-not-fit' when any dimension of the demand exceeds the target's free room.
 *
 * @throws InvalidResourcesError naming the vector and dimension for NaN / negative / infinite amounts,
 *   InvalidPlacementInputError for a priority outside [0, 1], ValidationError for bad weights.
 */
export const scorePlacement = (
  target: { readonly capacity: Resources; readonly used: Resources },
  demand: Resources,
  priority01: number,
  weights: PlacementWeights = DEFAULT_PLACEMENT_WEIGHTS,
): number | 'does-not-fit' => {
  const w = checkWeights(weights);
  const p = checkPriority(priority01);
  validateResources(demand, 'placement demand');
  validateResources(target.capacity, 'placement target capacity');
  validateResources(target.used, 'placement target used');
  return scoreChecked(target, demand, p, w);
};

/**
 * The best-scoring target with room for `demand`, or undefined when none fits (the caller then scales
 * out or defers — the seed's "trigger scaling"). Ties go to the earlier target in `targets`, as in the
 * seed's strict `score > best_score`, so pass targets in a deterministic order.
 *
 * @throws as scorePlacement, naming the target id; InvalidPlacementInputError for empty or duplicate ids.
 */
export const choosePlacement = (
  targets: readonly PlacementTarget[],
  demand: Resources,
  priority01: number,
  weights: PlacementWeights = DEFAULT_PLACEMENT_WEIGHTS,
): { id: string; score: number } | undefined => {
  const w = checkWeights(weights);
  const p = checkPriority(priority01);
  validateResources(demand, 'placement demand');
  const seen = new Set<string>();
  let best: { id: string; score: number } | undefined;
  targets.forEach((t, i) => {
    if (typeof t.id !== 'string' || t.id.length === 0) throw new InvalidPlacementInputError(`targets[${i}].id`, t.id, 'a non-empty id');
    if (seen.has(t.id)) throw new InvalidPlacementInputError(`targets[${i}].id`, t.id, 'an id not used by another target');
    seen.add(t.id);
    validateResources(t.capacity, `placement target ${t.id} capacity`);
    validateResources(t.used, `placement target ${t.id} used`);
    const score = scoreChecked(t, demand, p, w);
    if (score !== 'does-not-fit' && (best === undefined || score > best.score)) best = { id: t.id, score };
  });
  return best;
};
