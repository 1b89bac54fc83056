/**
 * How long capacity takes to become useful, per path. Defaults from AWS's own figures and measurements:
 * - cold launch: RunInstances → running and status checks passing ≈ 26 s for a current-generation Nitro
 *   instance from an EBS-backed AMI, then the application's own warm-up (boot scripts, pulling code,
 *   joining the load balancer) — 180 s by default, the usual ELB health-check grace of a web service;
 * - warm stopped: a warm-pool instance in Stopped state starts in ≈ 21 s, already initialised (its launch
 *   lifecycle hook ran the application set-up before it was stopped), so no application warm-up;
 * - warm running: a warm-pool instance kept Running is put in service in ≈ 2 s;
 * - Auto Scaling notices a terminated member at its next health check and only then launches the
 *   replacement (≈ 60 s);
 * - filling a warm pool: launch, initialise, stop ≈ cold launch + warm-up + 60 s stop;
 * - stopping: StopInstances returns while the instance is `stopping`; it is `stopped` tens of seconds later
 *   (45 s by default; hibernation writes RAM to EBS first: 90 s). EC2 User Guide, "Stop and start Amazon EC2
 *   instances" ("it can take a few minutes for the instance to stop") and DESIGN.md §1;
 * - terminating: `shutting-down` for ~30 s before `terminated` (the instance no longer serves meanwhile).
 */
export interface ReplacementTimings {
  readonly coldLaunchSeconds: number;
  readonly appWarmUpSeconds: number;
  readonly warmStoppedSeconds: number;
  readonly warmRunningSeconds: number;
  readonly asgDetectionSeconds: number;
  readonly warmPoolStopSeconds: number;
  /** A graceful move of a workload to an already-ready instance (drain, re-route). */
  readonly handoverSeconds: number;
  readonly stopSeconds: number;
  readonly hibernateSeconds: number;
  readonly terminateSeconds: number;
}

export const DEFAULT_TIMINGS: ReplacementTimings = {
  coldLaunchSeconds: 26,
  appWarmUpSeconds: 180,
  warmStoppedSeconds: 21,
  warmRunningSeconds: 2,
  asgDetectionSeconds: 60,
  warmPoolStopSeconds: 60,
  handoverSeconds: 0,
  stopSeconds: 45,
  hibernateSeconds: 90,
  terminateSeconds: 30,
};

/** Seconds from the launch call to serving, for a cold launch. */
export const coldReadySeconds = (t: ReplacementTimings): number => t.coldLaunchSeconds + t.appWarmUpSeconds;
/** Seconds from the launch call to a stopped, initialised warm-pool instance. */
export const warmPoolFillSeconds = (t: ReplacementTimings): number => t.coldLaunchSeconds + t.appWarmUpSeconds + t.warmPoolStopSeconds;

export const checkTimings = (t: ReplacementTimings): ReplacementTimings => {
  for (const [k, v] of Object.entries(t)) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw new RangeError(`replacement timings: ${k} must be a finite number ≥ 0 seconds (got ${JSON.stringify(v)})`);
  }
  return t;
};
