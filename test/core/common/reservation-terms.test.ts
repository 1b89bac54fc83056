import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isHeldForRequest,
  makeReservationId,
  requestReservations,
  reservationPurpose,
  reservationSource,
  reservationSubject,
} from '../../../lambda/core/common/reservation-terms';
import { instanceId, reservationId } from '../../../lambda/core/domain';
import { group, reservation, roomyPool } from '../fixtures/fleet-builders';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };

describe('what a reservation is for, from its fields (its id only for one stored without them)', () => {
  it.each([
    // [case, reservation, purpose, source, subject]
    ['fields set', { id: reservationId('anything'), purpose: 'request' as const, source: 'req-1', subject: instanceId('i-1') }, 'request', 'req-1', 'i-1'],
    ['legacy id', { id: reservationId('request:req-1:i-1') }, 'request', 'req-1', 'i-1'],
    ['legacy id, a source with colons', { id: reservationId('warning:arn:aws:events:evt-1:i-1') }, 'warning', 'arn:aws:events:evt-1', 'i-1'],
    [
      'fields win over the id',
      { id: reservationId('request:req-9:i-9'), purpose: 'return' as const, source: 'standby@1', subject: instanceId('i-2') },
      'return',
      'standby@1',
      'i-2',
    ],
  ])('%s', (_name, r, purpose, source, subject) => {
    expect(reservationPurpose(r)).toBe(purpose);
    expect(reservationSource(r)).toBe(source);
    expect(reservationSubject(r)).toBe(subject);
  });

  it('property: a legacy id made by makeReservationId reads back its purpose, source and instance', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('warning', 'rebalance', 'lifecycle', 'request', 'sibling', 'reclaim', 'return'),
        fc.string({ minLength: 1 }),
        fc.stringMatching(/^i-[0-9a-f]{8,17}$/),
        (purpose, source, id) => {
          const r = { id: makeReservationId(purpose, source, instanceId(id)) };
          expect([reservationPurpose(r), reservationSource(r), reservationSubject(r)]).toEqual([purpose, source, id]);
        },
      ),
      RUNS,
    );
  });
});

describe("a request's reservations", () => {
  it('are found by purpose and source, not by an id prefix: req-1 does not claim req-10, and any id form is found', () => {
    const held = [
      reservation('request:req-1:i-a1', { instanceId: 'i-a1' }),
      reservation('request:req-10:i-a2', { instanceId: 'i-a2' }),
      { ...reservation('custom-id', { instanceId: 'i-a3' }), purpose: 'request' as const, source: 'req-1' },
      { ...reservation('warning:req-1:i-a4', { instanceId: 'i-a4' }), purpose: 'warning' as const, source: 'req-1' },
    ];
    const web = group('web', { pool: roomyPool('web', { reservations: held }) });
    expect(requestReservations([web], 'req-1').map((h) => h.reservation.id)).toEqual(['request:req-1:i-a1', 'custom-id']);
    expect(held.map((r) => isHeldForRequest(r, 'req-10'))).toEqual([false, true, false, false]);
  });
});
