import * as z from 'zod';
import { instanceId } from '../../core/domain';
import { AWS_EC2_SOURCE, DetailType, SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { instanceIdField } from '../fields';

const ACTIONS = ['terminate', 'stop', 'hibernate'] as const;
type SpotAction = (typeof ACTIONS)[number];
const isAction = (s: string): s is SpotAction => (ACTIONS as readonly string[]).includes(s);

/**
 * "EC2 Spot Instance Interruption Warning": detail `instance-id`, `instance-action`. The action happens
 * two minutes after the event time (EC2 user guide, "Spot Instance interruption notices").
 *
 * `instance-action` is tolerant: AWS sends terminate, stop or hibernate, but the documentation sample
 * says "action". An unrecognised action is treated as terminate — the worst case: nothing of the
 * instance survives, so everything it needs must be restored elsewhere — and reported as a warning.
 */
export const spotInterruptionWarningParser = defineParser({
  source: AWS_EC2_SOURCE,
  detailType: DetailType.spotInterruptionWarning,
  detail: z.object({ 'instance-id': instanceIdField, 'instance-action': z.string().min(1) }),
  toNotice: (d, { eventId, at, warnings }) => {
    const raw = d['instance-action'].toLowerCase();
    const action: SpotAction = isAction(raw) ? raw : 'terminate';
    if (!isAction(raw)) warnings.push(`detail.instance-action ${JSON.stringify(d['instance-action'])} is not terminate, stop or hibernate; assuming terminate`);
    return {
      kind: 'spot-interruption-warning',
      eventId,
      at,
      instanceId: instanceId(d['instance-id']),
      action,
      deadline: at + SPOT_WARNING_LEAD_SECONDS * 1000,
    };
  },
});
