import type { Command } from 'commander';
import type { AwsClientOptions } from '../../lambda/adapters/aws-clients';
import { Env } from '../../lambda/contracts/env';

/**
 * What the operator commands (status, request, cancel, explain) share: where AWS is and which table and
 * bus are spotwise's. Nothing needs the CDK app: names come from flags or the same environment variables
 * the Lambdas get (SPOTWISE_TABLE_NAME, SPOTWISE_EVENT_BUS_NAME); credentials and region from the SDK's
 * usual chain (AWS_PROFILE, AWS_REGION, instance roles, ...).
 */
export interface OperatorOptions {
  readonly endpoint?: string;
  readonly region?: string;
  readonly table?: string;
  readonly bus?: string;
}

/** Exit codes of the operator commands. */
export const ExitCode = {
  ok: 0,
  /** AWS said no, or the thing asked about is not in a state that allows it (printed with the reason). */
  failed: 1,
  /** Bad input: a flag or argument is missing or wrong; nothing was sent. */
  usage: 2,
} as const;

/** Bad input on the command line: the message names the flag and the value. Exit 2, nothing sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const addAwsOptions = (command: Command, needs: { readonly table?: boolean; readonly bus?: boolean }): Command => {
  command
    .option('--endpoint <url>', 'AWS endpoint URL (a local emulator such as moto, or a VPC endpoint)')
    .option('--region <region>', 'AWS region (default: the SDK chain: AWS_REGION, the profile, ...)');
  if (needs.table === true) command.option('--table <name>', `spotwise's state table (default: $${Env.tableName})`);
  if (needs.bus === true) command.option('--bus <name>', `spotwise's event bus, the stack output RequestBusName (default: $${Env.eventBusName})`);
  return command;
};

type EnvLike = Readonly<Record<string, string | undefined>>;

/** Client options from the flags; the SDK fills in whatever is not given. */
export const clientOptionsOf = (opts: OperatorOptions): AwsClientOptions => {
  if (opts.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(opts.endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`--endpoint: expected an http(s) URL like http://127.0.0.1:5000 (got ${JSON.stringify(opts.endpoint)})`);
    }
  }
  if (opts.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(opts.region)) {
    throw new UsageError(`--region: expected an AWS region like us-east-1 (got ${JSON.stringify(opts.region)})`);
  }
  return { ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}), ...(opts.region !== undefined ? { region: opts.region } : {}) };
};

const named = (flag: string, value: string | undefined, envName: string, env: EnvLike, what: string): string => {
  const name = value ?? env[envName];
  if (name === undefined || name.trim() === '') {
    throw new UsageError(`${flag}: ${what} is needed: give ${flag} NAME or set ${envName} (got nothing)`);
  }
  return name;
};

export const tableNameOf = (opts: OperatorOptions, env: EnvLike = process.env): string =>
  named('--table', opts.table, Env.tableName, env, "spotwise's state table");
export const busNameOf = (opts: OperatorOptions, env: EnvLike = process.env): string => named('--bus', opts.bus, Env.eventBusName, env, "spotwise's event bus");

/** Runs a command body, printing errors as `spotwise <command>: <message>` and turning them into an exit code. */
export const runOperatorCommand = async (command: string, body: () => Promise<number>): Promise<number> => {
  try {
    return await body();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    // An SDK error without an AWS error code (a refused connection, a DNS failure) says what happened only in its cause.
    const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? ` (${e.cause.name}: ${e.cause.message})` : '';
    console.error(`spotwise ${command}: ${e.message}${cause}`);
    return e instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  }
};

export const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** "3 min ago", "2 h 5 min ago", "in 12 min": ages and waits as an operator reads them. */
export const relative = (t: number, now: number): string => {
  const ms = Math.abs(now - t);
  const minutes = Math.round(ms / 60_000);
  const text = minutes < 1 ? `${Math.round(ms / 1000)} s` : minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return t <= now ? `${text} ago` : `in ${text}`;
};
