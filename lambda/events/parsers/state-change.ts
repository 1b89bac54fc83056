import * as z from 'zod';
import { instanceId } from '../../core/domain';
import { AWS_EC2_SOURCE, DetailType } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { instanceIdField } from '../fields';

/** The states EC2 reports in "EC2 Instance State-change Notification" (EC2 user guide, instance lifecycle). */
const STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;

const isKnownState = (s: string): s is (typeof STATES)[number] => (STATES as readonly string[]).includes(s);

/**
 * A state outside EC2's documented instance states (Karpenter's test events carry "creating") is not
 * for spotwise: a clean noop, not a malformed event. A missing or non-text state is still malformed.
 */
const unknownState = (detail: unknown): string | undefined => {
  const state = detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>).state : undefined;
  return typeof state === 'string' && state !== '' && !isKnownState(state) ? `instance state ${JSON.stringify(state)} is not one spotwise acts on` : undefined;
};

/** "EC2 Instance State-change Notification": `instance-id` and `state`; pending → running opens the restart window. */
export const stateChangeParser = defineParser({
  source: AWS_EC2_SOURCE,
  detailType: DetailType.stateChange,
  detail: z.object({ 'instance-id': instanceIdField, state: z.enum(STATES) }),
  notForUs: unknownState,
  toNotice: (d, { eventId, at }) => ({ kind: 'state-change', eventId, at, instanceId: instanceId(d['instance-id']), state: d.state }),
});
