import type { InstanceId } from '../../core/domain';
import type { SimInstances, Tenant } from './sim-instances';
import type { LifecycleHookEvent, LifecycleHookSettings, StrategyHooks } from './sim-types';
import type { WorldContext } from './world-context';

/**
 * Auto Scaling lifecycle hooks on the managed groups (Auto Scaling User Guide, "Amazon EC2 Auto Scaling lifecycle
 * hooks"): a launch waits in Pending:Wait and a termination in Terminating:Wait until the hook is completed, or its
 * heartbeat timeout passes (CONTINUE). Without settings, no group has hooks.
 */
export class SimLifecycleHooks {
  /** The hooks' names and timeout (the same for every strategy, see run-strategy.ts); undefined: no hooks. */
  settings?: LifecycleHookSettings;
  private seq = 0;

  constructor(
    private readonly ctx: WorldContext,
    private readonly instances: SimInstances,
    private readonly tenant: Tenant,
  ) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  private nextToken(): string {
    this.seq += 1;
    return `sim-token-${this.seq.toString(16).padStart(8, '0')}`;
  }

  /** A launch into a group with a launch hook: the instance waits in Pending:Wait (not ready before the hook ends). */
  beginLaunch(id: InstanceId, origin: 'EC2' | 'WarmPool', hooks: StrategyHooks): void {
    const settings = this.settings;
    const m = this.instances.meta.get(id);
    if (settings === undefined || m === undefined) return;
    m.launching = this.startHook(id, m.groupId, { transition: 'launch', hookName: settings.launchHook, origin, destination: 'AutoScalingGroup' }, hooks);
    this.ctx.cloud.holdInHook(id, 'Pending:Wait');
  }

  /** Starts a hook's wait: its token, its heartbeat timeout queued, and the strategy told (a concurrent delivery). */
  private startHook(
    id: InstanceId,
    groupId: LifecycleHookEvent['groupId'],
    hook: Pick<LifecycleHookEvent, 'transition' | 'hookName' | 'origin' | 'destination'>,
    hooks: StrategyHooks,
  ): { readonly token: string; readonly until: number } {
    const settings = this.settings;
    const token = this.nextToken();
    const until = this.now() + (settings?.heartbeatTimeoutSeconds ?? 0) * 1000;
    this.ctx.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
    const event: LifecycleHookEvent = { ...hook, instanceId: id, groupId, token };
    this.ctx.deliveries.notify(hooks, (h, world) => h.onLifecycleHook?.(world, event));
    return { token, until };
  }

  /**
   * An Auto Scaling termination with a terminate hook: the instance waits in Terminating:Wait — still
   * running, its workload already looking for a new home — until the hook is completed or times out.
   * Returns false when there is no hook (terminate at once).
   */
  beginTerminate(id: InstanceId, hooks: StrategyHooks): boolean {
    const settings = this.settings;
    const m = this.instances.meta.get(id);
    if (settings === undefined || m === undefined || !this.instances.isAlive(id) || m.terminating !== undefined) return m?.terminating !== undefined;
    m.terminating = this.startHook(
      id,
      m.groupId,
      { transition: 'terminate', hookName: settings.terminateHook, origin: 'AutoScalingGroup', destination: 'EC2' },
      hooks,
    );
    // DescribeAutoScalingGroups reports it in Terminating:Wait (still running in EC2) until the hook ends.
    this.ctx.cloud.holdInHook(id, 'Terminating:Wait');
    return true;
  }

  /**
   * Whether the action with this token is still active: its instance waits in the hook and nobody completed it (a
   * terminating instance whose hook was completed while its load still drains is no longer waiting on the hook).
   * Auto Scaling refuses CompleteLifecycleAction and RecordLifecycleActionHeartbeat for any other token.
   */
  isActive(id: InstanceId, token: string): boolean {
    const m = this.instances.meta.get(id);
    if (m === undefined) return false;
    return m.launching?.token === token || (m.terminating?.token === token && m.hookCompleted !== true);
  }

  /** CompleteLifecycleAction (or the heartbeat timeout's default CONTINUE). Unknown tokens are ignored. */
  complete(id: InstanceId, token: string, hooks: StrategyHooks): void {
    const m = this.instances.meta.get(id);
    if (m === undefined) return;
    const now = this.now();
    if (m.launching?.token === token) {
      m.launching = undefined;
      this.ctx.cloud.holdInHook(id, undefined);
      const readyAt = this.instances.expectedReadyAt(id);
      if (readyAt !== undefined && readyAt <= now) this.instances.markReady(id, now, hooks);
    } else if (m.terminating?.token === token) {
      // Every world's application drains on Terminating:Wait, whoever completes the hook: the instance goes
      // once its workload has moved to another host (settleDrains), or when the hook's timeout is reached.
      if (this.instances.isAlive(id) && !this.tenant.isIdle(id) && m.terminating.until > now) {
        m.hookCompleted = true;
        return;
      }
      this.instances.terminate(id, hooks, 'api');
    }
  }

  /** A heartbeat pushes the hook's timeout out by another heartbeat period. */
  heartbeat(id: InstanceId, token: string): void {
    const m = this.instances.meta.get(id);
    const settings = this.settings;
    if (m === undefined || settings === undefined) return;
    const until = this.now() + settings.heartbeatTimeoutSeconds * 1000;
    if (m.launching?.token === token) m.launching = { token, until };
    else if (m.terminating?.token === token) m.terminating = { token, until };
    else return;
    this.ctx.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
  }

  /** A hook's timeout event: CONTINUE unless it was completed or extended meanwhile. */
  expire(id: InstanceId, token: string, hooks: StrategyHooks): void {
    const m = this.instances.meta.get(id);
    const hook = m?.launching?.token === token ? m.launching : m?.terminating?.token === token ? m.terminating : undefined;
    if (hook === undefined || hook.until > this.now()) return;
    this.complete(id, token, hooks);
  }
}
