import { describe, expect, it } from 'vitest';
import { createAwsClients, awsClientConfig, DEFAULT_MAX_ATTEMPTS } from '../../lambda/adapters/aws-clients';

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
    expect(awsClientConfig({ maxAttempts: 2, endpoint: 'http://localhost:5000' })).toEqual({ retryMode: 'adaptive', maxAttempts: 2, endpoint: 'http://localhost:5000' });
  });
});
