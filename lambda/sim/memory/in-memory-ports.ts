import { CallJournal, type RecordedCall } from './call-log';
import { InMemoryCloud, type InMemoryCloudState } from './in-memory-cloud';
import { InMemoryMetricsReader } from './in-memory-metrics-reader';
import { InMemoryScheduler } from './in-memory-scheduler';
import { InMemoryStateStore } from './in-memory-state-store';
import { ManualClock } from './manual-clock';
import type { HandlerPorts } from '../../app/handler-deps';
import { RecordingEventPublisher } from './recording-event-publisher';

/** Every in-memory port, writing to one shared journal so call order across ports can be asserted. */
export interface InMemoryPorts {
  readonly journal: CallJournal;
  readonly clock: ManualClock;
  readonly cloud: InMemoryCloud;
  readonly stateStore: InMemoryStateStore;
  readonly metrics: InMemoryMetricsReader;
  readonly publisher: RecordingEventPublisher;
  readonly scheduler: InMemoryScheduler;
  /** Every call, on any fake, that would change the cloud, the capacity ledger, requests or schedules. */
  mutatingCalls(): RecordedCall[];
  /** Empties the journal and every fake's call log: what was seeded before a test is not what it checks. */
  clearCalls(): void;
  /** The fakes as a handler's ports (the cloud serves as both the EC2 and the Auto Scaling gateway). */
  handlerPorts(): HandlerPorts;
}

export const createInMemoryPorts = (opts: { readonly cloud?: InMemoryCloudState; readonly now?: number } = {}): InMemoryPorts => {
  const journal = new CallJournal();
  const clock = new ManualClock(opts.now ?? 0);
  const cloud = new InMemoryCloud(opts.cloud ?? {}, { journal, clock });
  const stateStore = new InMemoryStateStore({ journal });
  const metrics = new InMemoryMetricsReader({ journal });
  const publisher = new RecordingEventPublisher({ journal });
  const scheduler = new InMemoryScheduler({ journal });
  return {
    journal,
    clock,
    cloud,
    stateStore,
    metrics,
    publisher,
    scheduler,
    mutatingCalls: () => [...cloud.log.mutatingCalls(), ...stateStore.log.mutatingCalls(), ...scheduler.log.mutatingCalls()].sort((a, b) => a.seq - b.seq),
    clearCalls: () => {
      journal.calls.length = 0;
      for (const log of [cloud.log, stateStore.log, scheduler.log, publisher.log, metrics.log]) log.calls.length = 0;
    },
    handlerPorts: () => ({ clock, instances: cloud, capacity: cloud, state: stateStore, scheduler, publisher }),
  };
};
