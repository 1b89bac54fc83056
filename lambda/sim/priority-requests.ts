import type { GroupId, InterruptionRequest, Random } from '../core/domain';
import { requestId } from '../core/domain';
import { exponential, uniform } from '../data/random';

/**
 * Voluntary (priority) interruption requests, as operators send them: maintenance *waves* (a kernel patch,
 * an AMI roll) that ask for a few instances of a group at once, each with a window [notBefore, deadline].
 * A wave larger than the group's disruption budget is what tells a coordinator that admits everything
 * apart from one that respects the budget.
 */
export interface RequestModelParams {
  /** Mean hours between waves, per group. 0 disables requests. */
  readonly meanHoursBetweenWaves: number;
  /** Requests per wave: uniform integer in [min, max]. */
  readonly waveSize: { readonly min: number; readonly max: number };
  /** How long after notBefore the request may still run. */
  readonly deadlineMinutes: number;
}

export const DEFAULT_REQUEST_PARAMS: RequestModelParams = {
  meanHoursBetweenWaves: 6,
  waveSize: { min: 1, max: 3 },
  deadlineMinutes: 120,
};

const REASONS = ['kernel patch', 'AMI roll-out', 'agent upgrade', 'host maintenance'] as const;

export interface RequestTarget {
  readonly groupId: GroupId;
  /** Highest priority the coordinator may choose as victim (the group's policy priority: any member). */
  readonly maxPriority: number;
}

/** Draws the requests of every group in [start, end), sorted by time then id. */
export const drawPriorityRequests = (
  targets: readonly RequestTarget[],
  window: { readonly start: number; readonly end: number },
  params: RequestModelParams,
  rng: Random,
): InterruptionRequest[] => {
  if (!(params.meanHoursBetweenWaves >= 0)) throw new RangeError(`request model: meanHoursBetweenWaves must be ≥ 0 (got ${params.meanHoursBetweenWaves})`);
  if (!(Number.isInteger(params.waveSize.min) && params.waveSize.min >= 1 && params.waveSize.max >= params.waveSize.min)) {
    throw new RangeError(`request model: waveSize must be integers 1 ≤ min ≤ max (got ${JSON.stringify(params.waveSize)})`);
  }
  if (params.meanHoursBetweenWaves === 0) return [];
  const out: InterruptionRequest[] = [];
  const meanGapMs = params.meanHoursBetweenWaves * 3_600_000;
  for (const target of targets) {
    let at = window.start + exponential(rng, meanGapMs);
    let wave = 0;
    while (at < window.end) {
      const size = Math.floor(uniform(rng, params.waveSize.min, params.waveSize.max + 1));
      const reason = REASONS[Math.floor(rng() * REASONS.length)] ?? REASONS[0];
      const whole = Math.floor(at / 1000) * 1000;
      for (let k = 0; k < size; k++) {
        out.push({
          requestId: requestId(`req-${target.groupId}-${wave}-${k}`),
          selector: { kind: 'group', groupId: target.groupId, maxPriority: target.maxPriority },
          reason: `${reason} (wave ${wave})`,
          notBefore: whole,
          deadline: whole + params.deadlineMinutes * 60_000,
          // Spot instances launched by Auto Scaling cannot be stopped: a maintenance request replaces them.
          mode: 'terminate',
          requestedAt: whole,
        });
      }
      wave += 1;
      at += exponential(rng, meanGapMs);
    }
  }
  return out.sort((a, b) => a.requestedAt - b.requestedAt || a.requestId.localeCompare(b.requestId));
};
