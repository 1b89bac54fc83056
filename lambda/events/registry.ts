import { toValidationError } from '../contracts/validation';
import type { EventParser } from './define-parser';
import { envelopeSchema, type ParseContext } from './envelope';
import type { ParseResult } from './parse-result';
import { capacityReservationWarningParser } from './parsers/capacity-reservation-warning';
import { healthScheduledChangeParser } from './parsers/health-scheduled-change';
import { interruptionCancelParser } from './parsers/interruption-cancel-requested';
import { interruptionDueParser } from './parsers/interruption-due';
import { interruptionRequestedParser } from './parsers/interruption-requested';
import { lifecycleLaunchParser, lifecycleTerminateParser } from './parsers/lifecycle-action';
import { profileTickParser } from './parsers/profile-tick';
import { rebalanceRecommendationParser } from './parsers/rebalance-recommendation';
import { spotInterruptionWarningParser } from './parsers/spot-interruption-warning';
import { stateChangeParser } from './parsers/state-change';

export type { ParseResult } from './parse-result';
export type { ParseContext } from './envelope';

/** Every event spotwise acts on. Anything else (fleet, refresh, launch successful, Health events of other services, ...) is a noop. */
export const PARSERS: readonly EventParser[] = [
  spotInterruptionWarningParser,
  rebalanceRecommendationParser,
  stateChangeParser,
  lifecycleLaunchParser,
  lifecycleTerminateParser,
  capacityReservationWarningParser,
  healthScheduledChangeParser,
  interruptionRequestedParser,
  interruptionCancelParser,
  profileTickParser,
  interruptionDueParser,
];

const keyOf = (source: string, detailType: string): string => `${source}\u0000${detailType}`;

const REGISTRY: ReadonlyMap<string, EventParser> = (() => {
  const m = new Map<string, EventParser>();
  for (const p of PARSERS) {
    const key = keyOf(p.source, p.detailType);
    if (m.has(key)) throw new Error(`two event parsers for (${p.source}, ${p.detailType})`);
    m.set(key, p);
  }
  return m;
})();

/** The (source, detail-type) pairs the registry parses (test/lib/event-routing.test.ts holds the stack's rules to the same list). */
export const handledEventTypes = (): { source: string; detailType: string }[] => PARSERS.map((p) => ({ source: p.source, detailType: p.detailType }));

/**
 * Parses any raw event into a notice, without ever throwing (Karpenter's interruption parsers): a known
 * (source, detail-type) with a valid detail becomes its notice; an unknown pair becomes a `noop` notice;
 * anything unreadable becomes `malformed` naming each bad field and its value.
 */
export const parseEvent = (raw: unknown, ctx: ParseContext = {}): ParseResult => {
  try {
    const envelope = envelopeSchema.safeParse(raw);
    if (!envelope.success) {
      const bits = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      return {
        kind: 'malformed',
        ...(typeof bits.source === 'string' ? { source: bits.source } : {}),
        ...(typeof bits['detail-type'] === 'string' ? { detailType: bits['detail-type'] } : {}),
        ...(typeof bits.id === 'string' ? { eventId: bits.id } : {}),
        errors: toValidationError('event envelope', envelope.error, raw).message,
      };
    }
    const e = envelope.data;
    const parser = REGISTRY.get(keyOf(e.source, e['detail-type']));
    if (parser === undefined) {
      return {
        kind: 'notice',
        notice: {
          kind: 'noop',
          ...(e.id !== undefined ? { eventId: e.id } : {}),
          reason: `spotwise does not act on (${e.source}, ${e['detail-type']})`,
          source: e.source,
          detailType: e['detail-type'],
        },
        warnings: [],
      };
    }
    return parser.parse(raw, e, ctx);
  } catch (error) {
    // A parser bug must not become a poison message either: report it as malformed, with the cause.
    return { kind: 'malformed', errors: `parsing the event failed: ${error instanceof Error ? error.message : String(error)}` };
  }
};
