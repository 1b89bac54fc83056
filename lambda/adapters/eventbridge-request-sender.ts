import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SPOTWISE_SOURCE } from '../contracts/events';
import { AwsCallError, callAws } from './errors';

/**
 * Puts one of spotwise's inbound events (an operator's "Interruption Requested" or "Interruption Cancel
 * Requested") on spotwise's bus, as `spotwise request` and `spotwise cancel` do. One entry, one PutEvents
 * call; PutEvents answers 200 with FailedEntryCount 1 when the entry was not accepted, which is an error.
 */
export class EventBridgeRequestSender {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {
    if (eventBusName.trim() === '') throw new RangeError('eventBusName must not be empty (got "")');
  }

  /** Returns the EventBridge event id. */
  async send(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<string> {
    const operation = `putting a "${detailType}" event on bus ${this.eventBusName}`;
    const response = await callAws(operation, () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [{ Source: SPOTWISE_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: this.eventBusName }],
        }),
      ),
    );
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
      throw new AwsCallError(
        operation,
        undefined,
        `the entry was not accepted (${entry?.ErrorCode ?? 'no error code'}${entry?.ErrorMessage !== undefined ? `: ${entry.ErrorMessage}` : ''})`,
      );
    }
    return entry.EventId;
  }
}
