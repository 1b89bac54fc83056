import * as z from 'zod';
import { instanceId } from '../../core/domain';
import { AWS_EC2_SOURCE, DetailType } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { instanceIdField } from '../fields';

/** "EC2 Instance Rebalance Recommendation": detail `instance-id` (an elevated risk, no deadline). */
export const rebalanceRecommendationParser = defineParser({
  source: AWS_EC2_SOURCE,
  detailType: DetailType.rebalanceRecommendation,
  detail: z.object({ 'instance-id': instanceIdField }),
  toNotice: (d, { eventId, at }) => ({ kind: 'rebalance-recommendation', eventId, at, instanceId: instanceId(d['instance-id']) }),
});
