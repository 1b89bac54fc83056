import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stageWarmInstance, type StageWarmInstance } from '../../lambda/app/stage-warm-instance';
import { instanceId } from '../../lambda/core/domain';
import { direct, g, interleaved, warmId, world } from './fixtures/warm-pool-world';

const UNTIL = 1_000 + 60 * 60_000;

/** A recommendation's staging as plan-rebalance plans it: the stopped warm instances (by id) to claim and retype. */
const stage = (victim: string, warm: number, over: Partial<StageWarmInstance> = {}): StageWarmInstance => ({
  kind: 'stage-warm-instance',
  groupId: g,
  victimId: instanceId(victim),
  candidates: Array.from({ length: warm }, (_, k) => ({ instanceId: instanceId(warmId(k)), fromType: 'm5.large', covers: false })),
  toType: 'm5.xlarge',
  until: UNTIL,
  raise: true,
  room: 10,
  reason: `rebalance recommendation for ${victim}`,
  ...over,
});

const typeOf = (p: ReturnType<typeof world>, k: number): string | undefined => p.cloud.instance(instanceId(warmId(k)))?.instanceType;

describe('stageWarmInstance', () => {
  it('claims the first free candidate and retypes it', async () => {
    const p = world({ minSize: 2, warm: 2 });
    expect(await stageWarmInstance(stage('i-v1', 2), direct(p))).toBe(`claimed warm ${warmId(0)} for i-v1 and retyped it m5.large → m5.xlarge`);
    expect([typeOf(p, 0), typeOf(p, 1)]).toEqual(['m5.xlarge', 'm5.large']);
    expect(await p.stateStore.getWarmClaims(g, 1_000)).toEqual([{ groupId: g, instanceId: warmId(0), victimId: 'i-v1', until: UNTIL }]);
  });

  it("skips an instance another victim's live claim holds, and says so", async () => {
    const p = world({ minSize: 2, warm: 2 });
    await p.stateStore.claimWarmInstance({ groupId: g, instanceId: instanceId(warmId(0)), victimId: instanceId('i-v0'), until: UNTIL }, 1_000);
    expect(await stageWarmInstance(stage('i-v1', 2), direct(p))).toBe(
      `claimed warm ${warmId(1)} for i-v1 and retyped it m5.large → m5.xlarge (${warmId(0)} claimed for other victims)`,
    );
    expect([typeOf(p, 0), typeOf(p, 1)]).toEqual(['m5.large', 'm5.xlarge']);
  });

  it('takes over a claim that ran out, and claims again its own (a redelivered recommendation)', async () => {
    const p = world({ minSize: 2, warm: 1 });
    await p.stateStore.claimWarmInstance({ groupId: g, instanceId: instanceId(warmId(0)), victimId: instanceId('i-v0'), until: 999 }, 0);
    expect(await stageWarmInstance(stage('i-v1', 1), direct(p))).toMatch(/^claimed warm .* for i-v1 and retyped it/);
    expect(
      await stageWarmInstance(stage('i-v1', 1, { candidates: [{ instanceId: instanceId(warmId(0)), fromType: 'm5.xlarge', covers: true }] }), direct(p)),
    ).toBe(`claimed warm m5.xlarge ${warmId(0)} for i-v1: it covers the load already`);
  });

  it("claims over a claim the plan found no longer standing (its victim's load has a host), and only that one", async () => {
    const p = world({ minSize: 2, warm: 1 });
    await p.stateStore.claimWarmInstance({ groupId: g, instanceId: instanceId(warmId(0)), victimId: instanceId('i-v0'), until: UNTIL }, 1_000);
    const over = (supersedes: string) =>
      stage('i-v1', 1, {
        raise: false,
        candidates: [{ instanceId: instanceId(warmId(0)), fromType: 'm5.large', covers: true, supersedes: instanceId(supersedes) }],
      });
    expect(await stageWarmInstance(over('i-v9'), direct(p))).toMatch(/^nothing staged for i-v1/);
    expect(await stageWarmInstance(over('i-v0'), direct(p))).toBe(`claimed warm m5.large ${warmId(0)} for i-v1: it covers the load already`);
    expect((await p.stateStore.getWarmClaims(g, 1_000)).map((c) => c.victimId)).toEqual(['i-v1']);
  });

  it('only claims an instance that covers the load already (no retype)', async () => {
    const p = world({ minSize: 2, warm: 1 });
    const ready = stage('i-v1', 1, { candidates: [{ instanceId: instanceId(warmId(0)), fromType: 'm5.large', covers: true }] });
    expect(await stageWarmInstance(ready, direct(p))).toBe(`claimed warm m5.large ${warmId(0)} for i-v1: it covers the load already`);
    expect(p.cloud.log.callsTo('retypeStoppedInstance')).toEqual([]);
    expect(p.stateStore.log.callsTo('claimWarmInstance')).toHaveLength(1);
  });

  it('asks for one more warm instance when every candidate is claimed, unless the plan said the pool is growing', async () => {
    const p = world({ minSize: 1, warm: 1 });
    await p.stateStore.claimWarmInstance({ groupId: g, instanceId: instanceId(warmId(0)), victimId: instanceId('i-v0'), until: UNTIL }, 1_000);
    expect(await stageWarmInstance(stage('i-v1', 1, { raise: false }), direct(p))).toBe(
      `nothing staged for i-v1: no candidate free: ${warmId(0)} claimed for other victims; the warm pool is already growing or has no room`,
    );
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(1);
    expect(await stageWarmInstance(stage('i-v1', 1), direct(p))).toBe(
      `one more warm instance asked for i-v1: no candidate free: ${warmId(0)} claimed for other victims; min size 1 → 2 for 1 raise(s) (1 warm)`,
    );
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(2);
  });

  it('a candidate a concurrent warning started is given up and the next one is staged', async () => {
    const p = world({ minSize: 2, warm: 2 });
    await p.cloud.startInstances([instanceId(warmId(0))]);
    expect(await stageWarmInstance(stage('i-v1', 2), direct(p))).toBe(
      `claimed warm ${warmId(1)} for i-v1 and retyped it m5.large → m5.xlarge (${warmId(0)} no longer stopped)`,
    );
    expect((await p.stateStore.getWarmClaims(g, 1_000)).map((c) => c.instanceId)).toEqual([warmId(1)]);
  });

  it('a retype EC2 fails for another reason fails the action and gives the claim up', async () => {
    const p = world({ minSize: 2, warm: 2 });
    p.cloud.log.failNext('retypeStoppedInstance', new Error('RequestLimitExceeded: Request limit exceeded.'));
    await expect(stageWarmInstance(stage('i-v1', 2), direct(p))).rejects.toThrow('Request limit exceeded');
    expect(await p.stateStore.getWarmClaims(g, 1_000)).toEqual([]);
  });

  it("a claim DynamoDB does not let go of is named in the outcome, or in the failed action's error, with when it runs out", async () => {
    const p = world({ minSize: 2, warm: 2 });
    await p.cloud.startInstances([instanceId(warmId(0))]);
    p.stateStore.log.failNext('releaseWarmClaim', new Error('ProvisionedThroughputExceededException: throughput exceeded'));
    expect(await stageWarmInstance(stage('i-v1', 2), direct(p))).toBe(
      `claimed warm ${warmId(1)} for i-v1 and retyped it m5.large → m5.xlarge (${warmId(0)} no longer stopped; the claim on ${warmId(0)} could not be given back (ProvisionedThroughputExceededException: throughput exceeded): it holds until ${new Date(UNTIL).toISOString()})`,
    );
    const q = world({ minSize: 2, warm: 2 });
    q.cloud.log.failNext('retypeStoppedInstance', new Error('RequestLimitExceeded: Request limit exceeded.'));
    q.stateStore.log.failNext('releaseWarmClaim', new Error('InternalServerError: try again'));
    await expect(stageWarmInstance(stage('i-v1', 2), direct(q))).rejects.toThrow(
      `RequestLimitExceeded: Request limit exceeded.; the claim on ${warmId(0)} could not be given back (InternalServerError: try again): it holds until`,
    );
    expect((await q.stateStore.getWarmClaims(g, 1_000)).map((c) => c.instanceId)).toEqual([warmId(0)]);
  });

  it('n concurrent recommendations over m stopped warm instances stage min(n, m) distinct ones and raise the rest, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 3 }), { minLength: 64, maxLength: 64 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        async (delays, n, m) => {
          const p = world({ minSize: m, warm: m });
          let k = 0;
          const io = interleaved(p, () => delays[k++ % delays.length] ?? 0);
          // Every plan read the same snapshot: the same candidate list.
          await Promise.all(Array.from({ length: n }, (_, v) => stageWarmInstance(stage(`i-v${v}`, m), io)));
          const claims = await p.stateStore.getWarmClaims(g, 1_000);
          expect(new Set(claims.map((c) => c.instanceId)).size).toBe(Math.min(n, m));
          expect(new Set(claims.map((c) => c.victimId)).size).toBe(Math.min(n, m));
          expect(Array.from({ length: m }, (_, w) => typeOf(p, w)).filter((t) => t === 'm5.xlarge')).toHaveLength(Math.min(n, m));
          // The victims left without an instance each asked for one more, and none was lost.
          expect(p.cloud.group(g)?.warmPool?.minSize).toBe(m + Math.max(0, n - m));
        },
      ),
      { numRuns: 60 },
    );
  });
});
