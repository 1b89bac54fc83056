import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { createAwsClients, awsClientConfig, DEFAULT_MAX_ATTEMPTS, observeRetries } from '../../lambda/adapters/aws-clients';

describe('AWS client factory', () => {
  it('configures adaptive retry on every client', async () => {
    const clients = createAwsClients({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    for (const client of [clients.ec2, clients.autoScaling, clients.cloudWatch, clients.dynamoDb, clients.eventBridge, clients.scheduler]) {
      const strategy = await client.config.retryStrategy();
      expect((strategy as { mode?: string }).mode).toBe('adaptive');
      expect(await client.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
      expect(await client.config.region()).toBe('eu-west-1');
    }
  });

  it('creates each client once, on first use', () => {
    const clients = createAwsClients();
    expect(clients.ec2).toBe(clients.ec2);
    expect(clients.dynamoDb).toBe(clients.dynamoDb);
  });

  it('leaves region, endpoint and credentials to the environment unless given', () => {
    expect(awsClientConfig()).toEqual({ retryMode: 'adaptive', maxAttempts: DEFAULT_MAX_ATTEMPTS });
    expect(awsClientConfig({ maxAttempts: 2, endpoint: 'http://localhost:5000' })).toEqual({
      retryMode: 'adaptive',
      maxAttempts: 2,
      endpoint: 'http://localhost:5000',
    });
  });
});

describe('observeRetries', () => {
  /** A Scheduler endpoint that throttles `throttles` times, then answers ListSchedules. */
  const throttlingHandler = (throttles: number) => {
    let calls = 0;
    return {
      get calls() {
        return calls;
      },
      handle: async () => {
        calls += 1;
        const throttled = calls <= throttles;
        const body = throttled ? { message: 'Rate exceeded' } : { Schedules: [] };
        return {
          response: {
            statusCode: throttled ? 429 : 200,
            headers: { 'content-type': 'application/json', ...(throttled ? { 'x-amzn-errortype': 'ThrottlingException' } : {}) },
            body: new TextEncoder().encode(JSON.stringify(body)),
          },
        };
      },
    };
  };
  const client = (handler: ReturnType<typeof throttlingHandler>, maxAttempts: number, seen: [number, { client: string; operation: string }][]) =>
    observeRetries(
      new SchedulerClient({
        ...awsClientConfig({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts }),
        requestHandler: handler as never,
      }),
      (n, call) => seen.push([n, call]),
    );

  it.each([
    [0, []],
    [2, [[2, { client: 'SchedulerClient', operation: 'ListSchedulesCommand' }]]],
  ])('a call throttled %d times reports its retries (%j)', async (throttles, expected) => {
    const seen: [number, { client: string; operation: string }][] = [];
    const handler = throttlingHandler(throttles);
    await client(handler, 5, seen).send(new ListSchedulesCommand({}));
    expect(handler.calls).toBe(throttles + 1);
    expect(seen).toEqual(expected);
  });

  it('a call that runs out of attempts reports its retries and still throws', async () => {
    const seen: [number, { client: string; operation: string }][] = [];
    await expect(client(throttlingHandler(10), 2, seen).send(new ListSchedulesCommand({}))).rejects.toThrow('Rate exceeded');
    expect(seen).toEqual([[1, { client: 'SchedulerClient', operation: 'ListSchedulesCommand' }]]);
  });

  it('createAwsClients wires the observer into every client', async () => {
    const seen: number[] = [];
    const clients = createAwsClients({ region: 'eu-west-1', onRetries: (n) => seen.push(n) });
    for (const c of [clients.ec2, clients.autoScaling, clients.cloudWatch, clients.dynamoDb, clients.eventBridge, clients.scheduler]) {
      expect(c.middlewareStack.identify().some((m) => m.startsWith('spotwiseRetryObserver'))).toBe(true);
    }
    expect(
      createAwsClients({ region: 'eu-west-1' })
        .ec2.middlewareStack.identify()
        .some((m) => m.startsWith('spotwiseRetryObserver')),
    ).toBe(false);
    expect(seen).toEqual([]);
  });
});
