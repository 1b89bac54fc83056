import type { FleetView, GroupView, InstanceId, WarmClaim } from '../domain';
import { findBackedGroups } from './locate-instance';
import { reservationPurpose } from './reservation-terms';

/**
 * The claims on a warm group's instances that still stand (lambda/app/stage-warm-instance.ts): live by time, and their
 * victim's `rebalance` reservation still held in the warm group or a group it backs. Once that reservation is handed
 * over (the load restarted on a host: the warning came and was absorbed) or released, the claim has done its work and
 * stands in nobody's way, although its item lasts until `until`: the next recommendation may claim the instance over it
 * (WarmClaimStore.claimWarmInstance's `supersedes`), and staging may reshape it.
 */
export const standingClaims = (fleet: FleetView, warmGroup: GroupView, now: number): WarmClaim[] => {
  const held = new Set<InstanceId>(
    [warmGroup, ...findBackedGroups(fleet, warmGroup)]
      .flatMap((g) => [...g.pool.reservations.values()])
      .filter((r) => reservationPurpose(r) === 'rebalance' && r.expiresAt > now)
      .map((r) => r.instanceId),
  );
  return (warmGroup.warmClaims ?? []).filter((c) => c.until > now && held.has(c.victimId));
};
