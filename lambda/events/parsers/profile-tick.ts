import * as z from 'zod';
import { groupId } from '../../core/domain';
import { DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { groupNameField } from '../fields';

/** The profiler schedule's input, one per managed group: {"source":"spotwise","detail-type":"Profile Tick","detail":{"groupName":...}}. */
export const profileTickDetailSchema = z.object({ groupName: groupNameField });

export const profileTickParser = defineParser({
  source: SPOTWISE_SOURCE,
  detailType: DetailType.profileTick,
  detail: profileTickDetailSchema,
  scheduledInput: { eventId: (d, at) => `profile-tick:${d.groupName}:${at}` },
  toNotice: (d, { eventId, at }) => ({ kind: 'profile-tick', eventId, at, groupId: groupId(d.groupName) }),
});
