export * from './registry';
export * from './fields';
export * from './envelope';
export {
  interruptionRequestedDetailSchema,
  requestIdFromEventId,
  REQUEST_ID_PATTERN,
  DEFAULT_REQUEST_DEADLINE_MS,
  type InterruptionRequestedDetail,
} from './parsers/interruption-requested';
export { interruptionDueDetailSchema, interruptionDueEvent, type InterruptionDueDetail } from './parsers/interruption-due';
export { profileTickDetailSchema } from './parsers/profile-tick';
