import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { DetailType, SPOTWISE_SOURCE } from '../../lambda/contracts/events';
import { interruptionRequestedDetailSchema, type InterruptionRequestedDetail } from '../../lambda/events/parsers/interruption-requested';
import { parseEvent } from '../../lambda/events/registry';
import { addAwsOptions, busNameOf, clientOptionsOf, ExitCode, iso, runOperatorCommand, UsageError, type OperatorOptions } from './operator-options';

export interface RequestOptions extends OperatorOptions {
  readonly instance?: string;
  readonly group?: string;
  readonly maxPriority?: string;
  readonly reason?: string;
  readonly notBefore?: string;
  readonly deadline?: string;
  readonly mode?: string;
  readonly requestId?: string;
  readonly json?: boolean;
}

/** The flag that sets each field of the event's detail: errors name the flag the operator typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  requestId: '--request-id',
  instanceId: '--instance',
  groupName: '--group',
  maxPriority: '--max-priority',
  reason: '--reason',
  notBefore: '--not-before',
  deadline: '--deadline',
  mode: '--mode',
};

const RELATIVE = /^\+(\d+)(m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time flag: ISO-8601 text, or `+N` minutes/hours/days from now (`+30m`, `+2h`, `+1d`). */
export const parseTimeFlag = (flag: string, value: string, now: number): number => {
  const rel = RELATIVE.exec(value);
  if (rel !== null) return now + Number(rel[1]) * (UNIT_MS[rel[2] ?? 'm'] ?? 60_000);
  // Date.parse accepts bare numbers and free text ("5"): require the ISO shape.
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at))
    throw new UsageError(`${flag}: expected an ISO-8601 time like 2026-01-15T06:00:00Z or +30m, +2h, +1d (got ${JSON.stringify(value)})`);
  return at;
};

/** A request id the operator can cancel and explain by: time-ordered, unique, a valid schedule name. */
export const newRequestId = (now: number, random: () => string = () => randomBytes(3).toString('hex')): string =>
  `req-${new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${random()}`;

/**
 * The "Interruption Requested" detail from the flags, validated with the coordinator's own schema and
 * parser (so whatever is sent, the coordinator accepts). Throws UsageError naming the flag and value.
 */
export const buildRequestDetail = (
  opts: RequestOptions,
  now: number,
  makeId: () => string = () => newRequestId(now),
): InterruptionRequestedDetail & { requestId: string } => {
  if (opts.instance === undefined && opts.group === undefined) throw new UsageError('--instance or --group: give one (got neither)');
  if (opts.instance !== undefined && opts.group !== undefined) {
    throw new UsageError(`--instance ${JSON.stringify(opts.instance)} and --group ${JSON.stringify(opts.group)}: give one, not both`);
  }
  if (opts.group !== undefined && opts.maxPriority === undefined)
    throw new UsageError('--max-priority: needed with --group (the highest priority that may be chosen, 0..100) (got nothing)');
  if (opts.reason === undefined) throw new UsageError('--reason: needed (why the interruption is wanted, shown by status and explain) (got nothing)');
  let maxPriority: number | undefined;
  if (opts.maxPriority !== undefined) {
    if (!/^\d{1,3}$/.test(opts.maxPriority) || Number(opts.maxPriority) > 100)
      throw new UsageError(`--max-priority: expected an integer 0..100 (got ${JSON.stringify(opts.maxPriority)})`);
    maxPriority = Number(opts.maxPriority);
  }
  const notBefore = opts.notBefore !== undefined ? parseTimeFlag('--not-before', opts.notBefore, now) : undefined;
  const deadline = opts.deadline !== undefined ? parseTimeFlag('--deadline', opts.deadline, now) : undefined;
  if (deadline !== undefined && deadline <= now) throw new UsageError(`--deadline: ${iso(deadline)} has passed (now ${iso(now)})`);
  if (deadline !== undefined && deadline <= (notBefore ?? now)) {
    throw new UsageError(`--deadline: ${iso(deadline)} must be after ${notBefore !== undefined ? `--not-before ${iso(notBefore)}` : `now (${iso(now)})`}`);
  }
  const detail = {
    requestId: opts.requestId ?? makeId(),
    ...(opts.instance !== undefined ? { instanceId: opts.instance } : {}),
    ...(opts.group !== undefined ? { groupName: opts.group } : {}),
    ...(maxPriority !== undefined ? { maxPriority } : {}),
    reason: opts.reason,
    ...(notBefore !== undefined ? { notBefore: iso(notBefore) } : {}),
    ...(deadline !== undefined ? { deadline: iso(deadline) } : {}),
    mode: (opts.mode ?? 'stop') as 'stop' | 'hibernate' | 'terminate',
  };
  const checked = interruptionRequestedDetailSchema.safeParse(detail);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const flag = FLAG_OF[field] ?? field;
    const value = (detail as Record<string, unknown>)[field];
    throw new UsageError(`${flag}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(value) ?? 'nothing'})`);
  }
  // The coordinator's parser, on the event as EventBridge will deliver it: the last word on what is accepted.
  const parsed = parseEvent(
    {
      version: '0',
      id: 'cli-check',
      source: SPOTWISE_SOURCE,
      'detail-type': DetailType.interruptionRequested,
      account: '000000000000',
      time: iso(now),
      region: 'us-east-1',
      resources: [],
      detail,
    },
    { receivedAt: now },
  );
  if (parsed.kind === 'malformed') throw new UsageError(parsed.errors);
  return detail;
};

/** Sends the event. Prints the request id (and the times the coordinator will read) or, with --json, one JSON object. */
export const runRequest = async (opts: RequestOptions, env: Readonly<Record<string, string | undefined>> = process.env, now = Date.now()): Promise<number> =>
  runOperatorCommand('request', async () => {
    const detail = buildRequestDetail(opts, now);
    const bus = busNameOf(opts, env);
    const clientOptions = clientOptionsOf(opts);
    const [{ createEventBridgeClient }, { EventBridgeRequestSender }] = await Promise.all([
      import('../../lambda/adapters/aws-clients'),
      import('../../lambda/adapters/eventbridge-request-sender'),
    ]);
    const client = createEventBridgeClient(clientOptions);
    try {
      const eventId = await new EventBridgeRequestSender(client, bus).send(DetailType.interruptionRequested, detail);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ requestId: detail.requestId, eventId, bus, detail })}\n`);
      } else {
        const target =
          detail.instanceId !== undefined ? `instance ${detail.instanceId}` : `group ${detail.groupName ?? ''} (priority ≤ ${detail.maxPriority ?? 100})`;
        console.log(`request ${detail.requestId} sent to bus ${bus} (event ${eventId})`);
        console.log(`  ${detail.mode} ${target}: ${detail.reason}`);
        console.log(`  not before ${detail.notBefore ?? 'now'}, deadline ${detail.deadline ?? '6 h after not-before'}`);
        console.log(`  follow it with: spotwise status, spotwise explain ${detail.requestId}; cancel with: spotwise cancel ${detail.requestId}`);
      }
      return ExitCode.ok;
    } finally {
      client.destroy();
    }
  });

export const registerRequest = (program: Command): void => {
  const command = program
    .command('request')
    .description('Ask spotwise for a voluntary interruption: puts an "Interruption Requested" event on the spotwise bus')
    .option('--instance <id>', 'the instance to interrupt')
    .option('--group <name>', 'or a managed group: the coordinator picks the victim (needs --max-priority)')
    .option('--max-priority <p>', 'with --group: the highest priority (0..100) that may be chosen')
    .option('--reason <text>', 'why (1..512 characters; shown by status and explain)')
    .option('--not-before <time>', 'earliest time: ISO-8601 or +30m / +2h / +1d (default: now)')
    .option('--deadline <time>', 'latest time: ISO-8601 or +30m / +2h / +1d (default: 6 h after not-before)')
    .option('--mode <mode>', 'stop, hibernate or terminate (Spot instances: terminate only) (default: stop)')
    .option('--request-id <id>', 'the request id (default: req-<time>-<random>)')
    .option('--json', 'print one JSON object {"requestId", "eventId", "bus", "detail"}');
  addAwsOptions(command, { bus: true }).action(async (opts: RequestOptions) => {
    process.exitCode = await runRequest(opts);
  });
};
