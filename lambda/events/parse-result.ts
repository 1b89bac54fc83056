import type { Notice } from '../core/domain';

/**
 * What the registry makes of a raw event. Never an exception: a malformed event is reported as data so
 * the handler can log it, count it (MalformedEvents) and drop it instead of failing into a retry loop.
 */
export type ParseResult =
  | { readonly kind: 'notice'; readonly notice: Notice; readonly warnings: readonly string[] }
  | { readonly kind: 'malformed'; readonly source?: string; readonly detailType?: string; readonly eventId?: string; readonly errors: string };
