import * as z from 'zod';
import type { Notice } from '../core/domain';
import { toValidationError } from '../contracts/validation';
import { resolveEventTime, type Envelope, type ParseContext } from './envelope';
import type { ParseResult } from './parse-result';

/** A parser for one (source, detail-type): validates `detail` and turns it into a Notice. */
export interface EventParser {
  readonly source: string;
  readonly detailType: string;
  parse(raw: unknown, envelope: Envelope, ctx: ParseContext): ParseResult;
}

export interface NoticeMeta {
  readonly eventId: string;
  readonly at: number;
  /** Tolerances applied while parsing, for the handler to log. */
  readonly warnings: string[];
}

export interface ParserSpec<S extends z.ZodType> {
  readonly source: string;
  readonly detailType: string;
  readonly detail: S;
  /**
   * spotwise's own scheduled inputs (profile ticks, due interruptions) are constant JSON set on a schedule
   * target, without the envelope's id and time: derive a stable id from the detail, and take the receive
   * time without a warning. AWS events always carry both, so without this an absent id is malformed.
   */
  readonly scheduledInput?: { readonly eventId: (detail: z.output<S>, at: number) => string };
  /**
   * Events of this (source, detail-type) that are well-formed but not for spotwise (Auto Scaling's
   * test notification, another service's Health event): checked on the raw detail before validation;
   * a reason makes the event a clean noop instead of a malformed one.
   */
  readonly notForUs?: (detail: unknown) => string | undefined;
  readonly toNotice: (detail: z.output<S>, meta: NoticeMeta) => Notice | { readonly error: string };
}

export const defineParser = <S extends z.ZodType>(spec: ParserSpec<S>): EventParser => {
  const eventSchema = z.object({ detail: spec.detail });
  return {
    source: spec.source,
    detailType: spec.detailType,
    parse: (raw, envelope, ctx) => {
      const malformed = (errors: string): ParseResult => ({
        kind: 'malformed',
        source: spec.source,
        detailType: spec.detailType,
        ...(envelope.id !== undefined ? { eventId: envelope.id } : {}),
        errors,
      });
      const notForUs = spec.notForUs?.((raw as { detail?: unknown } | null)?.detail);
      if (notForUs !== undefined) {
        return {
          kind: 'notice',
          notice: {
            kind: 'noop',
            ...(envelope.id !== undefined ? { eventId: envelope.id } : {}),
            reason: notForUs,
            source: spec.source,
            detailType: spec.detailType,
          },
          warnings: [],
        };
      }
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) {
        return malformed(toValidationError(`"${spec.detailType}" event ${envelope.id ?? '(no id)'}`, parsed.error, raw).message);
      }
      const detail = (parsed.data as { detail: z.output<S> }).detail;
      const warnings: string[] = [];
      let at: number;
      if (envelope.time === undefined && spec.scheduledInput !== undefined && ctx.receivedAt !== undefined) {
        at = ctx.receivedAt;
      } else {
        const time = resolveEventTime(envelope.time, ctx);
        if (time.kind === 'error') return malformed(`invalid "${spec.detailType}" event ${envelope.id ?? '(no id)'}: ${time.message}`);
        at = time.at;
        if (time.warning !== undefined) warnings.push(time.warning);
      }
      const eventId = envelope.id ?? spec.scheduledInput?.eventId(detail, at);
      if (eventId === undefined) return malformed(`invalid "${spec.detailType}" event: id: required for ${spec.source} events (got nothing)`);
      const notice = spec.toNotice(detail, { eventId, at, warnings });
      if ('error' in notice) return malformed(`invalid "${spec.detailType}" event ${eventId}: ${notice.error}`);
      return { kind: 'notice', notice, warnings };
    },
  };
};
