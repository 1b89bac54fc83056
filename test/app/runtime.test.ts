import { describe, expect, it, vi } from 'vitest';
import { Env } from '../../lambda/contracts/env';
import { ValidationError } from '../../lambda/contracts/validation';
import { createPowertoolsTelemetry, lazy, loadRuntimeSettings } from '../../lambda/app/runtime';
import { configInput } from '../handlers/world';

const env = (over: Record<string, string | undefined> = {}) => ({
  [Env.tableName]: 'spotwise-state',
  [Env.eventBusName]: 'spotwise-bus',
  [Env.config]: JSON.stringify(configInput()),
  ...over,
});

describe('loadRuntimeSettings', () => {
  it('validates the environment and the configuration it carries', () => {
    const s = loadRuntimeSettings(env());
    expect(s).toMatchObject({
      tableName: 'spotwise-state',
      eventBusName: 'spotwise-bus',
      dryRun: false,
    });
    expect(s.config.groups[0]?.name).toBe('my-asg');
    expect(s.scheduler).toBeUndefined();
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['missing table', { [Env.tableName]: undefined }, 'SPOTWISE_TABLE_NAME'],
    ['config not JSON', { [Env.config]: '{groups:' }, 'SPOTWISE_CONFIG: not JSON'],
    ['config invalid', { [Env.config]: JSON.stringify({ policies: [] }) }, 'policies'],
    ['dry-run not a boolean', { [Env.dryRun]: 'yes' }, 'SPOTWISE_DRY_RUN: expected "true" or "false" (got "yes")'],
    ['scheduler role not an ARN', { [Env.schedulerRoleArn]: 'role' }, 'SPOTWISE_SCHEDULER_ROLE_ARN: expected an ARN (got "role")'],
  ])('%s → a ValidationError naming it', (_n, over, message) => {
    const run = () => loadRuntimeSettings(env(over));
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(message);
  });

  it('SPOTWISE_DRY_RUN overrides the configuration either way', () => {
    expect(loadRuntimeSettings(env({ [Env.dryRun]: 'true' })).dryRun).toBe(true);
    expect(loadRuntimeSettings(env({ [Env.config]: JSON.stringify(configInput({ dry_run: true })), [Env.dryRun]: 'false' })).dryRun).toBe(false);
    expect(loadRuntimeSettings(env({ [Env.config]: JSON.stringify(configInput({ dry_run: true })) })).dryRun).toBe(true);
  });

  it('the coordinator needs every scheduler setting, and names the missing ones', () => {
    expect(() => loadRuntimeSettings(env({ [Env.schedulerGroupName]: 'g' }), { needsScheduler: true })).toThrow(
      'SPOTWISE_SCHEDULER_ROLE_ARN: required by the coordinator (got nothing); SPOTWISE_EXECUTOR_ARN: required by the coordinator (got nothing)',
    );
    const s = loadRuntimeSettings(
      env({
        [Env.schedulerGroupName]: 'g',
        [Env.schedulerRoleArn]: 'arn:aws:iam::123456789012:role/r',
        [Env.executorFunctionArn]: 'arn:aws:lambda:us-east-1:123456789012:function:x',
      }),
      { needsScheduler: true },
    );
    expect(s.scheduler).toEqual({
      groupName: 'g',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      executorArn: 'arn:aws:lambda:us-east-1:123456789012:function:x',
    });
  });

  it('passes the scheduler dead-letter queue through when set', () => {
    const s = loadRuntimeSettings(
      env({
        [Env.schedulerGroupName]: 'g',
        [Env.schedulerRoleArn]: 'arn:aws:iam::123456789012:role/r',
        [Env.executorFunctionArn]: 'arn:aws:lambda:us-east-1:123456789012:function:x',
        [Env.schedulerDeadLetterArn]: 'arn:aws:sqs:us-east-1:123456789012:executor-dlq',
      }),
      { needsScheduler: true },
    );
    expect(s.scheduler?.deadLetterArn).toBe('arn:aws:sqs:us-east-1:123456789012:executor-dlq');
  });
});

describe('lazy', () => {
  it('builds once, on first use', () => {
    const make = vi.fn(() => ({ n: 1 }));
    const get = lazy(make);
    expect(make).not.toHaveBeenCalled();
    expect(get()).toBe(get());
    expect(make).toHaveBeenCalledTimes(1);
  });
});

describe('Powertools telemetry', () => {
  it('writes EMF to stdout on flush (no PutMetricData), a dimensioned metric as its own record', () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const logSpy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      writes.push(a.map(String).join(' '));
    });
    const infoSpy = vi.spyOn(console, 'info').mockImplementation((...a: unknown[]) => {
      writes.push(a.map(String).join(' '));
    });
    try {
      const t = createPowertoolsTelemetry('notice');
      t.metrics.metric('NoticesHandled', 'Count', 1, { NoticeKind: 'spot-interruption-warning' });
      t.metrics.metric('MalformedEvents', 'Count', 2);
      t.metrics.flush();
    } finally {
      spy.mockRestore();
      logSpy.mockRestore();
      infoSpy.mockRestore();
    }
    const emf = writes.filter((w) => w.includes('"_aws"')).map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(emf.find((r) => r.NoticeKind === 'spot-interruption-warning')).toMatchObject({ NoticesHandled: 1 });
    expect(emf.find((r) => 'MalformedEvents' in r)).toMatchObject({ MalformedEvents: 2 });
    const namespaces = emf.map((r) => (r._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace);
    expect(new Set(namespaces)).toEqual(new Set(['Spotwise']));
  });

  /** The EMF records and log lines `run` writes to stdout. */
  const captured = (run: () => void): Record<string, unknown>[] => {
    const writes: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      }),
      ...(['log', 'info', 'warn'] as const).map((level) =>
        vi.spyOn(console, level).mockImplementation((...a: unknown[]) => {
          writes.push(a.map(String).join(' '));
        }),
      ),
    ];
    try {
      run();
    } finally {
      for (const s of spies) s.mockRestore();
    }
    return writes
      .flatMap((w) => w.split('\n'))
      .filter((w) => w.startsWith('{'))
      .map((w) => JSON.parse(w) as Record<string, unknown>);
  };

  it.each<[string, Record<string, string | undefined>, string, string]>([
    [
      "the stack's POWERTOOLS_* settings",
      { POWERTOOLS_SERVICE_NAME: 'payments-spotwise', POWERTOOLS_METRICS_NAMESPACE: 'PaymentsSpotwise' },
      'payments-spotwise',
      'PaymentsSpotwise',
    ],
    ['the defaults when they are unset', {}, 'spotwise', 'Spotwise'],
    ['the defaults when they are empty', { POWERTOOLS_SERVICE_NAME: '', POWERTOOLS_METRICS_NAMESPACE: '' }, 'spotwise', 'Spotwise'],
  ])('logs and metrics carry %s', (_n, env, service, namespace) => {
    const records = captured(() => {
      const t = createPowertoolsTelemetry('notice', env);
      t.log.info('hello');
      t.metrics.metric('MalformedEvents', 'Count', 1);
      t.metrics.flush();
    });
    expect(records.find((r) => r.message === 'hello')).toMatchObject({ service, handler: 'notice' });
    const emf = records.find((r) => 'MalformedEvents' in r);
    expect(emf).toMatchObject({ service, MalformedEvents: 1 });
    expect((emf?._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace).toBe(namespace);
  });

  it('reads the Lambda environment by default', () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'from-lambda-env');
    try {
      const records = captured(() => createPowertoolsTelemetry('profiler').log.info('hello'));
      expect(records.find((r) => r.message === 'hello')).toMatchObject({ service: 'from-lambda-env', handler: 'profiler' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('traces by calling through when tracing is off (outside Lambda)', async () => {
    const t = createPowertoolsTelemetry('notice');
    expect(await t.tracer.trace('notice', { handler: 'notice' }, async () => 42)).toBe(42);
  });
});
