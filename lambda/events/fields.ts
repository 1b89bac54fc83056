import * as z from 'zod';

/**
 * EC2 instance ids: "i-" and 8 (pre-2016 short ids) or 17 hex digits; the AWS samples also carry 10
 * ("i-0123456789", Karpenter's design doc), so any length 8..17 is accepted. This is where spotwise is
 * strict: an id that cannot be an instance id would send every later call to the wrong place.
 */
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;
export const instanceIdField = z.string().regex(INSTANCE_ID_PATTERN, 'expected an EC2 instance id like "i-0123456789abcdef0"');

/** Auto Scaling group names: 1..255 characters, no control characters (AWS API reference). */
export const groupNameField = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\p{Cc}]+$/u, 'expected an Auto Scaling group name');

/**
 * A point in time as spotwise's own events write it: ISO-8601 text or epoch milliseconds.
 * AWS events are handled separately (see envelope.ts), because the AWS documentation samples carry
 * placeholders where a time belongs.
 */
export const timeField = z
  .union([z.number().int().nonnegative(), z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO-8601 time like "2024-05-01T12:00:00Z"')])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));
