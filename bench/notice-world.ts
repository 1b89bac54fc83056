import type { NoticeDeps } from '../lambda/handlers/notice';
import { createInMemoryPorts, RecordingTelemetry, type InMemoryPorts } from '../lambda/sim/memory';
import { buildSyntheticFleet, seedInMemoryState, type SyntheticFleet, type SyntheticFleetOptions } from './fleet/synthetic-fleet';

/**
 * A synthetic fleet loaded into the in-memory fakes, with the notice handler's dependencies over them
 * (the composition a test would build; lambda/handlers/notice.ts `makeHandler(deps)`).
 */
export interface NoticeWorld {
  readonly fleet: SyntheticFleet;
  readonly ports: InMemoryPorts;
  readonly telemetry: RecordingTelemetry;
  readonly deps: NoticeDeps;
}

export const buildNoticeWorld = async (opts: SyntheticFleetOptions & { readonly dryRun?: boolean }): Promise<NoticeWorld> => {
  const fleet = buildSyntheticFleet(opts);
  const ports = createInMemoryPorts({ cloud: fleet.cloud, now: opts.now });
  await seedInMemoryState(ports, fleet);
  const telemetry = new RecordingTelemetry();
  const deps: NoticeDeps = {
    ports: ports.handlerPorts(),
    managed: fleet.managed,
    dryRun: opts.dryRun ?? false,
    telemetry,
  };
  return { fleet, ports, telemetry, deps };
};
