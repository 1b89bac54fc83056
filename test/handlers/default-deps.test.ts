import { describe, expect, it } from 'vitest';
import { fixture } from '../events/event-fixtures';

/**
 * Importing a handler module must need no AWS environment (its dependencies are built on the first
 * invocation). The first invocation without the environment fails loudly, naming what is missing —
 * a misconfigured function is an error for Lambda, not a silently dropped event.
 */
describe.each(['notice', 'profiler', 'coordinator', 'executor'])('lambda/handlers/%s', (name) => {
  it('imports without an AWS environment and exports makeHandler and handler', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('SPOTWISE_') || k.startsWith('AWS_')) delete process.env[k];
    try {
      const mod = (await import(`../../lambda/handlers/${name}`)) as { handler: unknown; makeHandler: unknown; defaultDeps: unknown };
      expect(typeof mod.handler).toBe('function');
      expect(typeof mod.makeHandler).toBe('function');
      expect(typeof mod.defaultDeps).toBe('function');
      await expect((mod.handler as (e: unknown) => Promise<unknown>)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'))).rejects.toThrow(
        /invalid Lambda environment: SPOTWISE_TABLE_NAME: .*\(got nothing\)/,
      );
    } finally {
      process.env = saved;
    }
  });
});
