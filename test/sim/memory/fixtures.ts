import { groupId, instanceId, reservationId, type ManagedInstance, type Reservation, type Resources } from '../../../lambda/core/domain';

export const res = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });

export const reservation = (id: string, amount: Resources, over: Partial<Reservation> = {}): Reservation => ({
  id: reservationId(id),
  groupId: groupId('g1'),
  instanceId: instanceId('i-0000000000000001'),
  amount,
  createdAt: 0,
  expiresAt: 60_000,
  reason: 'test',
  priority: 50,
  ...over,
});

export const instance = (
  id: string,
  over: Partial<ManagedInstance> & { tags?: Record<string, string> } = {},
): ManagedInstance & { tags?: Record<string, string> } => ({
  id: instanceId(id),
  groupId: groupId('g1'),
  instanceType: 'm5.large',
  availabilityZone: 'us-east-1a',
  lifecycle: 'on-demand',
  state: 'running',
  launchedAt: 0,
  warm: false,
  priority: 50,
  jobType: 'web',
  ...over,
});
