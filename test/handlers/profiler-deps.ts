import type { SpotwiseConfig } from '../../lambda/contracts/config';
import { toManagedGroups } from '../../lambda/app/managed-groups';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import type { ProfilerDeps } from '../../lambda/handlers/profiler';
import { RecordingTelemetry, type InMemoryPorts } from '../../lambda/sim/memory';

/**
 * The profiler's dependencies over a test world's in-memory ports and configuration: the statistical predictor, an
 * hour's metric window read every tick and a day's half-life, not dry-run, telemetry recorded. Shared by the
 * profiler test worlds that differ only in their fleet and policy.
 */
export const profilerDeps = (ports: InMemoryPorts, config: SpotwiseConfig): ProfilerDeps & { telemetry: RecordingTelemetry } => ({
  ports: ports.handlerPorts(),
  managed: toManagedGroups(config),
  dryRun: false,
  telemetry: new RecordingTelemetry(),
  metricsReader: ports.metrics,
  predictor: new FallbackPredictor(),
  profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
});
