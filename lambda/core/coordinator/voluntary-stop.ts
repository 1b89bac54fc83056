import {
  reservationId,
  type Action,
  type GroupView,
  type InstanceId,
  type ManagedInstance,
  type RequestId,
  type Reservation,
  type ReservationId,
} from '../domain';
import { makeReservationId, reservationPurpose } from '../common/reservation-terms';

/**
 * Voluntary stops of Auto Scaling members. An In-Service member that is stopping or stopped fails the EC2 health
 * check and Auto Scaling terminates and replaces it (Auto Scaling User Guide, "Health checks for instances in an
 * Auto Scaling group"), so every stop or hibernate spotwise asks for is preceded by EnterStandby: a member in
 * Standby is not health-checked. EnterStandby decrements desired capacity (ShouldDecrementDesiredCapacity): the
 * same instance comes back — retyped a minute later, or started again — so a replacement launched meanwhile would be
 * paid for and then be one too many once ExitStandby raises desired capacity again for the returning instance.
 */

/**
 * Why `group` cannot move one more member to Standby with a decrement and stop it, or undefined when it can. Auto
 * Scaling refuses EnterStandby when the decremented desired capacity would fall below min size: the plan does not ask
 * (fail closed: the instance keeps running). In a group load balancers serve, EnterStandby deregisters the member and
 * it stays EnteringStandby — still finishing its in-flight requests — for the deregistration delay (300 s by default)
 * before it is in Standby; a stop right after EnterStandby would cut those requests, and spotwise does not wait for
 * the drain yet, so it does not stop such a member at all (a `terminate` goes through Auto Scaling, which drains first).
 */
export const standbyRefusal = (group: Pick<GroupView, 'id' | 'desiredCapacity' | 'minSize' | 'loadBalanced'>): string | undefined => {
  if (group.loadBalanced === true)
    return `${group.id} is served by a load balancer: a member moved to Standby drains for the deregistration delay before it is out of service, and spotwise does not stop one before then`;
  const after = Math.floor(group.desiredCapacity) - 1;
  if (!Number.isFinite(after)) return `the desired capacity of ${group.id} is ${String(group.desiredCapacity)}: cannot move a member to Standby`;
  return after < group.minSize
    ? `moving a member of ${group.id} to Standby would take its desired capacity to ${after}, below its min size ${group.minSize} (Auto Scaling refuses EnterStandby)`
    : undefined;
};

/** The actions of one voluntary stop or hibernation of a member: EnterStandby first, then StopInstances. */
export const voluntaryStop = (input: {
  readonly group: Pick<GroupView, 'id'>;
  readonly instance: Pick<ManagedInstance, 'id'>;
  readonly mode: 'stop' | 'hibernate';
  readonly reason: string;
  readonly requestId?: RequestId;
}): Action[] => [
  {
    kind: 'enter-standby',
    groupId: input.group.id,
    instanceId: input.instance.id,
    reason: `before ${input.mode === 'stop' ? 'stopping' : 'hibernating'} it (no health-check replacement): ${input.reason}`,
  },
  {
    kind: 'interrupt-instance',
    groupId: input.group.id,
    instanceId: input.instance.id,
    mode: input.mode,
    reason: input.reason,
    ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
  },
];

/**
 * A stop → modify → start that continues from the EC2 `stopped` state change: the sibling's restart reservation
 * records the type it is to be changed to (`retypeTo`), written by the plan's own `reserve`, so the continuation needs
 * no write beside the plan and survives between Lambda invocations. Its id names the type too
 * (`sibling:<source>:<instance>:retype-to:<type>`): two resizes of one instance to different types are different
 * reservations, and a reservation stored before `retypeTo` existed is still read from it (instance ids and type
 * names contain no ':', so it parses unambiguously).
 */
const RETYPE_MARK = ':retype-to:';

export const resizeReservationId = (source: string, instance: InstanceId, toType: string): ReservationId =>
  reservationId(`${makeReservationId('sibling', source, instance)}${RETYPE_MARK}${toType}`);

/** The type a stopped sibling is waiting to be changed to, or undefined when `reservation` records none. */
export const pendingRetype = (reservation: Pick<Reservation, 'id' | 'purpose' | 'retypeTo'>): string | undefined => {
  if (reservationPurpose(reservation) !== 'sibling') return undefined;
  if (reservation.retypeTo !== undefined) return reservation.retypeTo;
  const at = reservation.id.lastIndexOf(RETYPE_MARK);
  if (at < 0) return undefined;
  const type = reservation.id.slice(at + RETYPE_MARK.length);
  return type.length > 0 && !type.includes(':') ? type : undefined;
};

/**
 * Whether a reservation held for an instance records a voluntary stop spotwise carried out through Standby: a
 * request's (stop or hibernate: a terminated victim never runs again under its id) or a stop → modify → start
 * sibling's. Its instance running again is the moment to ExitStandby.
 */
export const stoppedThroughStandby = (reservation: Pick<Reservation, 'id'>): boolean => {
  const purpose = reservationPurpose(reservation);
  return purpose === 'request' || purpose === 'sibling';
};
