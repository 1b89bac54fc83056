import type { Command } from 'commander';
import { DetailType } from '../../lambda/contracts/events';
import { requestId as toRequestId } from '../../lambda/core/domain';
import { REQUEST_ID_PATTERN } from '../../lambda/events/parsers/interruption-requested';
import { addAwsOptions, busNameOf, clientOptionsOf, ExitCode, runOperatorCommand, tableNameOf, UsageError, type OperatorOptions } from './operator-options';

export interface CancelOptions extends OperatorOptions {
  readonly reason?: string;
  readonly json?: boolean;
}

/** Statuses a cancel can still change (as the coordinator's planCancel decides). */
const CANCELLABLE = new Set(['pending', 'deferred', 'scheduled']);

/**
 * `spotwise cancel REQUEST_ID`: reads the request (GetItem) and, when it is still pending, deferred or
 * scheduled, puts an "Interruption Cancel Requested" event on the bus. The coordinator does the cancel
 * through its plan: it records the request cancelled, deletes its schedule and releases its reservation.
 * A request already executed, refused or cancelled is not sent: the command says so and exits 1.
 */
export const runCancel = async (id: string, opts: CancelOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> =>
  runOperatorCommand('cancel', async () => {
    if (!REQUEST_ID_PATTERN.test(id))
      throw new UsageError(`REQUEST_ID: expected 1-64 characters of letters, digits, "_", "." or "-" (got ${JSON.stringify(id)})`);
    if (opts.reason !== undefined && (opts.reason.length === 0 || opts.reason.length > 512))
      throw new UsageError(`--reason: expected 1..512 characters (got ${opts.reason.length})`);
    const table = tableNameOf(opts, env);
    const bus = busNameOf(opts, env);
    const clientOptions = clientOptionsOf(opts);
    const [{ createAwsClients }, { DynamoDbStateStore }, { EventBridgeRequestSender }] = await Promise.all([
      import('../../lambda/adapters/aws-clients'),
      import('../../lambda/adapters/dynamodb-state-store'),
      import('../../lambda/adapters/eventbridge-request-sender'),
    ]);
    const clients = createAwsClients(clientOptions);
    try {
      const stored = await new DynamoDbStateStore(clients.dynamoDb, { tableName: table }).getRequest(toRequestId(id));
      if (stored === undefined) {
        console.error(`spotwise cancel: no request ${id} in table ${table}: nothing to cancel`);
        return ExitCode.failed;
      }
      if (!CANCELLABLE.has(stored.status)) {
        const why =
          stored.status === 'executed'
            ? 'its interruption was already carried out'
            : stored.status === 'cancelled'
              ? 'it was already cancelled'
              : 'it was refused';
        console.error(`spotwise cancel: request ${id} is ${stored.status} (${why}${stored.note !== undefined ? `: ${stored.note}` : ''}): nothing to cancel`);
        return ExitCode.failed;
      }
      const detail = { requestId: id, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) };
      const eventId = await new EventBridgeRequestSender(clients.eventBridge, bus).send(DetailType.interruptionCancelRequested, detail);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ requestId: id, statusBefore: stored.status, eventId, bus })}\n`);
      } else {
        console.log(`cancel of request ${id} (${stored.status}) sent to bus ${bus} (event ${eventId})`);
        console.log(
          `  the coordinator records it cancelled${stored.status === 'scheduled' ? ', deletes its schedule and releases its reservation' : ''}; check with: spotwise explain ${id}`,
        );
      }
      return ExitCode.ok;
    } finally {
      clients.dynamoDb.destroy();
      clients.eventBridge.destroy();
    }
  });

export const registerCancel = (program: Command): void => {
  const command = program
    .command('cancel')
    .description('Cancel a pending, deferred or scheduled interruption request (the coordinator releases its reservation and deletes its schedule)')
    .argument('<request-id>', 'the request id `spotwise request` printed')
    .option('--reason <text>', 'why (recorded on the request)')
    .option('--json', 'print one JSON object {"requestId", "statusBefore", "eventId", "bus"}');
  addAwsOptions(command, { table: true, bus: true }).action(async (id: string, opts: CancelOptions) => {
    process.exitCode = await runCancel(id, opts);
  });
};
