import * as z from 'zod';

/**
 * The EventBridge envelope, as tolerant as the AWS samples require: `account` is any string
 * ("<account_number>", "account id" appear in AWS docs), `resources` ARNs differ in form and are not
 * used (the instance id comes from `detail`), and extra fields are ignored. `resources` must still be a
 * list, as EventBridge always sends it (the EC2 User Guide's Capacity Reservation interruption sample
 * prints it as one string; a string there is treated as malformed, like any envelope of the wrong shape).
 */
export const envelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1).optional(),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.unknown()).optional(),
  detail: z.unknown(),
});
export type Envelope = z.output<typeof envelopeSchema>;

export interface ParseContext {
  /** When the handler received the event (its clock); used where the event has no usable time. */
  readonly receivedAt?: number;
}

export type EventTime = { readonly kind: 'ok'; readonly at: number; readonly warning?: string } | { readonly kind: 'error'; readonly message: string };

/**
 * The event's time in epoch ms. AWS always sends an ISO-8601 UTC time, but the AWS documentation
 * examples use the placeholder "yyyy-mm-ddThh:mm:ssZ"; such an event is still a real instruction about
 * a real instance id, so spotwise does not drop it: it falls back to the handler's receive time (for a
 * spot warning the true time is at most seconds earlier, since EventBridge delivers within seconds) and
 * reports a warning. With no receive time either, the event is malformed.
 */
export const resolveEventTime = (time: string | undefined, ctx: ParseContext): EventTime => {
  const parsed = time === undefined ? Number.NaN : Date.parse(time);
  if (Number.isFinite(parsed)) return { kind: 'ok', at: parsed };
  const what = time === undefined ? 'no time' : `time ${JSON.stringify(time)} is not an ISO-8601 timestamp`;
  if (ctx.receivedAt !== undefined && Number.isFinite(ctx.receivedAt)) {
    return { kind: 'ok', at: ctx.receivedAt, warning: `${what}; using the receive time ${new Date(ctx.receivedAt).toISOString()}` };
  }
  return { kind: 'error', message: `time: ${what} and no receive time was given` };
};
