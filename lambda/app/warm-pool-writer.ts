import { randomUUID } from 'node:crypto';
import type { Action, GroupId, WarmPoolView } from '../core/domain';
import type { CapacityGateway, WarmPoolDescription } from '../ports/capacity-gateway';
import type { Clock } from '../ports/clock';
import type { WarmPoolWriterStore } from '../ports/state-store';

/**
 * How long a writer holds a group's warm pool: a few Auto Scaling calls need seconds; a writer whose Lambda dies
 * holding it blocks the others this long at most (their raises stay queued for the next writer).
 */
export const WARM_POOL_LEASE_MS = 60_000;

/** Rounds one writer runs while raises keep arriving between its release and the next notice's try. */
const MAX_ROUNDS = 5;

export type WarmPoolWrite = Extract<Action, { kind: 'put-warm-pool' | 'raise-warm-pool' }>;

export interface WarmPoolWriterPorts {
  readonly capacity: Pick<CapacityGateway, 'describeWarmPool' | 'describeGroups' | 'putWarmPool'>;
  readonly state: WarmPoolWriterStore;
  readonly clock: Clock;
}

/** Warm instances Auto Scaling keeps (every warm-pool lifecycle state but the terminating ones). */
const warmPresent = (d: WarmPoolDescription): number => d.instances.filter((i) => !i.lifecycleState.startsWith('Warmed:Terminat')).length;

const viewOf = (d: WarmPoolDescription): WarmPoolView => ({
  minSize: d.minSize,
  maxGroupPreparedCapacity: d.maxGroupPreparedCapacity,
  poolState: d.poolState,
  reuseOnScaleIn: d.reuseOnScaleIn,
});

/**
 * Writes a group's warm pool so that concurrent writers neither overwrite each other nor wait (PutWarmPool is
 * absolute, and Auto Scaling offers no conditional form):
 *
 * - a **raise** (a rebalance recommendation's one more warm instance) is first queued in the state table, then the
 *   writer tries the group's lease; whoever holds it applies every raise queued, relative to the warm pool as it
 *   reads it under the lease: min size = max(min size, warm instances present) + raises, capped by max − desired.
 *   A notice that finds the lease taken is done: its raise is applied by the holder, who re-reads the queue as it
 *   gives the lease up and runs again while raises arrived meanwhile.
 * - a **put** (a staging tick's absolute min size and settings) is written under the lease only when the min size
 *   is still the one its plan read; otherwise, or when the lease is taken, it is not written and the next tick
 *   recomputes from a fresh read.
 * - a write is not sent once the lease ran out (another writer may hold it by then); raises taken and not applied
 *   are queued again, so a failed PutWarmPool loses none.
 *
 * Returns what happened, for the action's outcome; AWS errors propagate (the action fails).
 */
export const writeWarmPool = async (action: WarmPoolWrite, ports: WarmPoolWriterPorts, holder: string = randomUUID()): Promise<string | undefined> => {
  const groupId = action.groupId;
  const notes: string[] = [];
  if (action.kind === 'raise-warm-pool') await ports.state.queueWarmPoolRaise(groupId, action.by);
  let put = action.kind === 'put-warm-pool' ? action : undefined;
  let left = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = ports.clock.now();
    const until = now + WARM_POOL_LEASE_MS;
    if (!(await ports.state.acquireWarmPoolLease(groupId, holder, now, until))) {
      if (put !== undefined) notes.push(`not written: another writer holds the warm pool of ${groupId}; the next tick recomputes`);
      else if (round === 0) notes.push(`queued: the writer holding the warm pool of ${groupId} applies it`);
      return notes.join('; ');
    }
    try {
      await underLease({ groupId, holder, put, until }, ports, notes);
    } finally {
      left = await ports.state.releaseWarmPoolLease(groupId, holder);
    }
    put = undefined;
    if (left === 0) return notes.length > 0 ? notes.join('; ') : undefined;
    // A writer slow enough to outlive its lease leaves what is queued to the next one.
    if (!(ports.clock.now() < until)) return notes.join('; ');
  }
  notes.push(`${left} raise(s) still queued after ${MAX_ROUNDS} rounds: the next writer applies them`);
  return notes.join('; ');
};

/** One round under the lease: the put (if still current), then every raise queued. */
const underLease = async (
  lease: { readonly groupId: GroupId; readonly holder: string; readonly put?: WarmPoolWrite & { kind: 'put-warm-pool' }; readonly until: number },
  ports: WarmPoolWriterPorts,
  notes: string[],
): Promise<void> => {
  const { groupId, holder, put, until } = lease;
  const fresh = await ports.capacity.describeWarmPool(groupId);
  const live = (): boolean => ports.clock.now() < until;
  if (fresh === undefined) {
    const dropped = await ports.state.takeWarmPoolRaises(groupId, holder);
    notes.push(`${groupId} has no warm pool${dropped > 0 ? `: ${dropped} raise(s) not applied` : ''}`);
    if (put !== undefined) notes.push('not written');
    return;
  }
  let current = viewOf(fresh);
  if (put !== undefined) {
    // The put's min size was computed from a read; written only if nobody changed it since.
    if (fresh.minSize !== put.readMinSize) {
      notes.push(`not written: min size is ${fresh.minSize}, not the ${put.readMinSize} this plan read (another writer changed it); the next tick recomputes`);
    } else if (!live()) {
      notes.push('not written: the warm-pool lease ran out first; the next tick recomputes');
    } else {
      await ports.capacity.putWarmPool(groupId, put.warmPool);
      current = put.warmPool;
    }
  }
  const raises = await ports.state.takeWarmPoolRaises(groupId, holder);
  if (raises === 0) return;
  try {
    const [group] = await ports.capacity.describeGroups([groupId]);
    const room = group === undefined ? 0 : Math.max(0, Math.floor(group.maxSize) - Math.floor(group.desiredCapacity));
    const target = Math.min(room, Math.max(current.minSize, warmPresent(fresh)) + raises);
    if (!(target > current.minSize)) {
      notes.push(`${raises} raise(s) not applied: no room (min size ${current.minSize}, ${warmPresent(fresh)} warm, max − desired ${room})`);
      return;
    }
    if (!live()) {
      await ports.state.queueWarmPoolRaise(groupId, raises);
      notes.push(`${raises} raise(s) queued again: the warm-pool lease ran out first`);
      return;
    }
    await ports.capacity.putWarmPool(groupId, { ...current, minSize: target });
    notes.push(`min size ${current.minSize} → ${target} for ${raises} raise(s) (${warmPresent(fresh)} warm)`);
  } catch (error) {
    // Not applied: back in the queue for the next writer (a failure to queue them again is the original error's).
    await ports.state.queueWarmPoolRaise(groupId, raises).catch(() => undefined);
    throw error;
  }
};
