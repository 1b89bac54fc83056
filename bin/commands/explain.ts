import type { Command } from 'commander';
import { requestId as toRequestId, type Forecast } from '../../lambda/core/domain';
import { formatResources } from '../../lambda/core/resources/resources';
import { INSTANCE_ID_PATTERN } from '../../lambda/events/fields';
import { REQUEST_ID_PATTERN } from '../../lambda/events/parsers/interruption-requested';
import type { StoredRequest, TrailEntry } from '../../lambda/ports/state-store';
import type { TableSnapshot } from '../../lambda/adapters/dynamodb-status-reader';
import { addAwsOptions, clientOptionsOf, ExitCode, iso, relative, runOperatorCommand, tableNameOf, UsageError, type OperatorOptions } from './operator-options';

export interface ExplainOptions extends OperatorOptions {
  readonly json?: boolean;
}

/** A request as `explain --json` prints it: the record, with times as ISO text. */
export const requestJson = (r: StoredRequest): Record<string, unknown> => ({
  requestId: r.request.requestId,
  status: r.status,
  selector: r.request.selector,
  reason: r.request.reason,
  mode: r.request.mode,
  requestedAt: iso(r.request.requestedAt),
  notBefore: iso(r.request.notBefore),
  deadline: iso(r.request.deadline),
  victim: r.victim ?? null,
  reservationId: r.reservationId ?? null,
  retryAt: r.retryAt !== undefined ? iso(r.retryAt) : null,
  note: r.note ?? null,
  updatedAt: iso(r.updatedAt),
  trail: (r.trail ?? []).map((e) => ({ ...e, at: iso(e.at) })),
});

const formatEntry = (e: TrailEntry, i: number): string[] => [
  `  ${i + 1}. ${iso(e.at)}  ${e.handler} on ${e.noticeKind}${e.dryRun ? ' (dry-run: nothing carried out)' : ''}`,
  '     checks:',
  ...e.checks.map((c) => `       ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
  '     plan:',
  ...e.actions.map((a, j) => `       ${j + 1}) ${a}`),
  '     executed:',
  ...(e.outcomes.length > 0 ? e.outcomes.map((o) => `       - ${o}`) : ['       - nothing']),
];

export const formatRequest = (r: StoredRequest, now: number): string => {
  const sel = r.request.selector;
  const lines = [
    `request ${r.request.requestId}: ${r.status}${r.note !== undefined ? ` (${r.note})` : ''}`,
    `  ${r.request.mode} ${sel.kind === 'instance' ? `instance ${sel.instanceId}` : `a member of group ${sel.groupId} with priority ≤ ${sel.maxPriority}`}: ${r.request.reason}`,
    `  requested ${iso(r.request.requestedAt)}; window ${iso(r.request.notBefore)} .. ${iso(r.request.deadline)}`,
  ];
  if (r.victim !== undefined) lines.push(`  victim ${r.victim}${r.reservationId !== undefined ? `, reservation ${r.reservationId}` : ''}`);
  if (r.retryAt !== undefined) lines.push(`  next retry ${iso(r.retryAt)} (${relative(r.retryAt, now)})`);
  lines.push(`  last updated ${iso(r.updatedAt)} (${relative(r.updatedAt, now)})`);
  const trail = r.trail ?? [];
  if (trail.length === 0) lines.push('decisions: none stored (the record predates decision trails, or no handler decided on it yet)');
  else lines.push(`decisions (${trail.length}, oldest first):`, ...trail.flatMap(formatEntry));
  return lines.join('\n');
};

const forecastLine = (f: Forecast | undefined, now: number): string =>
  f === undefined
    ? 'none stored'
    : f.kind === 'unknown'
      ? `unknown (${f.reason}), made ${relative(f.madeAt, now)}`
      : `p90 ${formatResources({ vcpu: f.dims.vcpu.p90, memoryGiB: f.dims.memoryGiB.p90, networkMbps: f.dims.networkMbps.p90, diskIops: f.dims.diskIops.p90 })}, basis ${[...new Set(Object.values(f.dims).map((d) => d.basis))].join('/')}, made ${relative(f.madeAt, now)}`;

/** What the table says about one instance: its forecast, reservations held for it, and the requests that named or chose it. */
export const explainInstance = (id: string, snapshot: TableSnapshot) => {
  const requests = snapshot.requests
    .filter((r) => r.victim === id || (r.request.selector.kind === 'instance' && r.request.selector.instanceId === id))
    .sort((a, b) => a.request.requestedAt - b.request.requestedAt);
  const reservations = [...snapshot.pools.values()].flatMap((p) => [...p.reservations.values()].filter((r) => r.instanceId === id));
  const forecast = snapshot.forecasts.find((f) => f.instanceId === id);
  return { requests, reservations, forecast };
};

export const runExplain = async (
  target: string,
  opts: ExplainOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
  now = Date.now(),
): Promise<number> =>
  runOperatorCommand('explain', async () => {
    const isInstance = INSTANCE_ID_PATTERN.test(target);
    if (!isInstance && !REQUEST_ID_PATTERN.test(target)) {
      throw new UsageError(
        `REQUEST_ID | INSTANCE_ID: expected a request id (1-64 letters, digits, "_", "." or "-") or an instance id like i-0123456789abcdef0 (got ${JSON.stringify(target)})`,
      );
    }
    const table = tableNameOf(opts, env);
    const clientOptions = clientOptionsOf(opts);
    const [{ createDynamoDbDocumentClient }, { DynamoDbStateStore }, { DynamoDbStatusReader }] = await Promise.all([
      import('../../lambda/adapters/aws-clients'),
      import('../../lambda/adapters/dynamodb-state-store'),
      import('../../lambda/adapters/dynamodb-status-reader'),
    ]);
    const doc = createDynamoDbDocumentClient(clientOptions);
    try {
      if (!isInstance) {
        const stored = await new DynamoDbStateStore(doc, { tableName: table }).getRequest(toRequestId(target));
        if (stored === undefined) {
          console.error(`spotwise explain: no request ${target} in table ${table}`);
          return ExitCode.failed;
        }
        process.stdout.write(opts.json === true ? `${JSON.stringify(requestJson(stored), null, 2)}\n` : `${formatRequest(stored, now)}\n`);
        return ExitCode.ok;
      }
      const snapshot = await new DynamoDbStatusReader(doc, table).readSnapshot();
      const found = explainInstance(target, snapshot);
      if (opts.json === true) {
        process.stdout.write(
          `${JSON.stringify(
            {
              instanceId: target,
              forecast: found.forecast ?? null,
              reservations: found.reservations.map((r) => ({ ...r, createdAt: iso(r.createdAt), expiresAt: iso(r.expiresAt) })),
              requests: found.requests.map(requestJson),
            },
            null,
            2,
          )}\n`,
        );
        return ExitCode.ok;
      }
      const lines = [`instance ${target}`, `  forecast: ${forecastLine(found.forecast, now)}`, `  reservations held for it (${found.reservations.length}):`];
      for (const r of found.reservations)
        lines.push(`    ${r.id} in ${r.groupId}: ${formatResources(r.amount)} until ${iso(r.expiresAt)} (${relative(r.expiresAt, now)}): ${r.reason}`);
      lines.push(`  requests that named or chose it (${found.requests.length})`);
      for (const r of found.requests) lines.push('', formatRequest(r, now));
      process.stdout.write(`${lines.join('\n')}\n`);
      return ExitCode.ok;
    } finally {
      doc.destroy();
    }
  });

export const registerExplain = (program: Command): void => {
  const command = program
    .command('explain')
    .description('Print the decision trail of a request (admission checks with their numbers, the plan, what was executed), or what concerns an instance')
    .argument('<request-or-instance>', 'a request id, or an instance id (i-...)')
    .option('--json', 'print one JSON object');
  addAwsOptions(command, { table: true }).action(async (target: string, opts: ExplainOptions) => {
    process.exitCode = await runExplain(target, opts);
  });
};
