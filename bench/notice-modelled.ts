import { AutoScalingCapacityGateway } from '../lambda/adapters/autoscaling-capacity-gateway';
import { Ec2InstanceGateway, priceTableFromSpecs } from '../lambda/adapters/ec2-instance-gateway';
import type { InstanceId } from '../lambda/core/domain';
import { makeHandler, type NoticeDeps } from '../lambda/handlers/notice';
import { randomStream } from '../lambda/data/random';
import { spotWarningEvent } from '../lambda/sim/strategies/sim-events';
import { LatencyModel } from './aws/aws-latency';
import { createCloudBackedClients } from './aws/cloud-backed-clients';
import { ModelledAws, modelPublisher, modelScheduler, modelStateStore, type ModelledCall } from './aws/modelled-aws';
import { VirtualTime } from './aws/virtual-time';
import { buildNoticeWorld } from './notice-world';

/**
 * The notice path at AWS speed: the real notice handler with the real EC2 and Auto Scaling adapters over SDK
 * clients answered from the in-memory cloud, and DynamoDB, EventBridge and Scheduler modelled at their ports,
 * every call waiting its modelled round trip (bench/aws/aws-latency.ts) in virtual time. The handler's own CPU
 * time counts, scaled to the notice function's share of a vCPU (Lambda gives one vCPU at 1,769 MB; the notice
 * function has 512 MB).
 *
 * One warm container handles the notices one after another (its adapters keep their caches, as a container
 * does between invocations); each notice warns a different Spot instance.
 */
export const NOTICE_MEMORY_MB = 512;
/** Lambda: "at 1,769 MB, a function has the equivalent of one vCPU" (Lambda Developer Guide, memory and computing power). */
export const ONE_VCPU_MB = 1_769;
export const NOTICE_CPU_SCALE = ONE_VCPU_MB / NOTICE_MEMORY_MB;

/**
 * Calls that carry out a plan action. The idempotency mark (PutItem) and the publication of the plan's events
 * (PutEvents) change state too, but act on nothing: they are not "actions".
 */
export const isActionCall = (c: Pick<ModelledCall, 'api' | 'mutating'>): boolean => c.mutating && c.api !== 'PutItem' && c.api !== 'PutEvents';

export interface ModelledNotice {
  /** Virtual ms from invocation to the start of the first call that carries out an action (undefined: none). */
  readonly firstMutationMs: number | undefined;
  /** Virtual ms from invocation to the end of the last such call. */
  readonly lastActionMs: number | undefined;
  /** Virtual ms from invocation until the handler returned. */
  readonly handlerMs: number;
  /** DynamoDB items read. */
  readonly stateReads: number;
  readonly calls: number;
}

export interface ModelledNoticeOptions {
  readonly size: number;
  readonly samples: number;
  readonly warmUp: number;
  readonly seed: number;
  readonly now: number;
}

export const summarizeNotice = (calls: readonly ModelledCall[], invokedAt: number, returnedAt: number): ModelledNotice => {
  const actions = calls.filter(isActionCall);
  return {
    firstMutationMs: actions.length === 0 ? undefined : Math.min(...actions.map((c) => c.startedAt)) - invokedAt,
    lastActionMs: actions.length === 0 ? undefined : Math.max(...actions.map((c) => c.endedAt)) - invokedAt,
    handlerMs: returnedAt - invokedAt,
    stateReads: calls.reduce((n, c) => n + c.itemsRead, 0),
    calls: calls.length,
  };
};

export const measureModelledNotices = async (o: ModelledNoticeOptions): Promise<ModelledNotice[]> => {
  const world = await buildNoticeWorld({ instances: o.size, now: o.now, seed: o.seed });
  let clockAt = o.now;
  const time = new VirtualTime(o.now, {
    cpuScale: NOTICE_CPU_SCALE,
    onAdvance: (t) => {
      clockAt = Math.max(clockAt, Math.floor(t));
      world.ports.clock.set(clockAt);
    },
  });
  const aws = new ModelledAws(time, new LatencyModel(o.seed, `notice-${o.size}`));
  const clients = createCloudBackedClients(world.ports.cloud, { onCall: (c) => aws.call(c.service, c.api) });
  try {
    const prices = priceTableFromSpecs(world.fleet.catalogSpecs);
    const deps: NoticeDeps = {
      ...world.deps,
      ports: {
        clock: world.ports.clock,
        instances: new Ec2InstanceGateway(clients.ec2, { prices }),
        capacity: new AutoScalingCapacityGateway(clients.autoScaling),
        state: modelStateStore(world.ports.stateStore, aws),
        publisher: modelPublisher(world.ports.publisher, aws),
        scheduler: modelScheduler(world.ports.scheduler, aws),
      },
    };
    const handler = makeHandler(deps);
    const rng = randomStream(o.seed, `notice-modelled-${o.size}`);
    const order = world.fleet.primary.filter((i) => i.lifecycle === 'spot').map((i) => i.id);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j] as InstanceId, order[i] as InstanceId];
    }
    const wanted = o.warmUp + o.samples;
    if (order.length < wanted) throw new RangeError(`modelled notice bench: ${o.size} instances cannot give ${wanted} distinct warnings`);
    const out: ModelledNotice[] = [];
    for (let k = 0; k < wanted; k++) {
      const id = `notice-${k}`;
      const result = await time.run(async () => {
        await time.sleep(1_000);
        const invokedAt = time.now();
        const r = await aws.within(id, () => handler(spotWarningEvent(order[k] as InstanceId, Math.floor(invokedAt))));
        return { r, invokedAt, returnedAt: time.now() };
      });
      if (result.r.status !== 'planned') throw new Error(`modelled notice bench: a warning for ${order[k]} was not planned: ${JSON.stringify(result.r)}`);
      if (k >= o.warmUp)
        out.push(
          summarizeNotice(
            aws.calls.filter((c) => c.notice === id),
            result.invokedAt,
            result.returnedAt,
          ),
        );
    }
    return out;
  } finally {
    clients.restore();
  }
};
