import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Env } from '../../lambda/contracts/env';
import { buildAwsDeps } from '../../lambda/app/aws-deps';
import type { PowertoolsTelemetry } from '../../lambda/app/runtime';
import { configInput } from '../handlers/world';

/**
 * The real composition against a local endpoint that throttles the first request: the retry the SDK makes
 * is counted as AwsCallRetries on the handler's own Powertools metrics.
 */
describe('buildAwsDeps counts the retries the SDK makes', () => {
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        if (requests === 1) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  });
  afterAll(() => {
    server.close();
    vi.unstubAllEnvs();
  });

  it('a throttled DynamoDB read, retried once, is one AwsCallRetries', async () => {
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv(Env.tableName, 'spotwise-state');
    vi.stubEnv(Env.eventBusName, 'spotwise');
    vi.stubEnv(Env.config, JSON.stringify(configInput()));
    const deps = buildAwsDeps('notice');
    expect(await deps.ports.state.getRequest('req-1' as never)).toBeUndefined();
    expect(requests).toBe(2);
    const emf = (deps.telemetry as PowertoolsTelemetry).powertoolsMetrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf.AwsCallRetries).toBe(1);
  });
});
