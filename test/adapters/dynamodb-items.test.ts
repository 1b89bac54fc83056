import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyItem,
  decodeBody,
  encodeBody,
  fromReservationItem,
  MAX_BODY_BYTES,
  MAX_PACKED_ALLOCATIONS_BYTES,
  packAllocations,
  parsePoolItem,
  parseProfileItem,
  parseReservationItem,
  profileItem,
  toReservationItem,
  unpackAllocations,
} from '../../lambda/adapters/dynamodb-items';
import { buildSyntheticFleet } from '../../bench/fleet/synthetic-fleet';
import { Keys } from '../../lambda/contracts/table';
import { groupId, instanceId, reservationId, type Reservation } from '../../lambda/core/domain';
import { reservationPurpose, reservationSubject } from '../../lambda/core/common/reservation-terms';
import { newProfile, updateProfile } from '../../lambda/core/profile/behaviour-profile';

describe('JSON bodies', () => {
  it('round-trip any JSON-like value, including NaN, ±Infinity and Maps that plain JSON loses', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((k) => k !== '__proto__'),
          tie('node'),
          { maxKeys: 4 },
        ),
        fc.array(fc.tuple(fc.string(), tie('node')), { maxLength: 3 }).map((entries) => new Map(entries)),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeBody(encodeBody(v))).toEqual(v);
      }),
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])('keeps %s exactly', (n) => {
    const back = decodeBody(encodeBody({ n })) as { n: number };
    expect(Object.is(back.n, n)).toBe(true);
  });

  it('round-trips a real profile', () => {
    const profile = newProfile({
      instanceId: instanceId('i-1'),
      groupId: groupId('web'),
      instanceType: 'm5.large',
      vcpus: 2,
      jobType: 'web',
      launchedAt: 0,
      now: 1000,
    });
    const seen = updateProfile(profile, [{ at: 60_000, cpuPercent: 40, cpuMaxPercent: 70, networkMbps: Number.NaN }], 61_000);
    const item = profileItem(seen);
    expect(item).toMatchObject({ ...Keys.profile('i-1'), kind: 'profile', instanceId: 'i-1', groupId: 'web', updatedAt: 61_000 });
    expect(parseProfileItem(item, 'i-1')).toEqual(seen);
  });

  it('refuses a record too large for one DynamoDB item, naming it', () => {
    expect(() => bodyItem(Keys.profile('i-1'), 'profile', 'profile of i-1', { blob: 'x'.repeat(MAX_BODY_BYTES) })).toThrow(
      /^profile of i-1: \d+ bytes of JSON exceed the 350000-byte limit/,
    );
  });

  it('names the field and value of a malformed stored item', () => {
    expect(() => parseProfileItem({ ...Keys.profile('i-1'), schemaVersion: 2, body: '{}' }, 'i-1')).toThrow('invalid profile item of i-1: schemaVersion');
    expect(() => parseProfileItem({ ...Keys.profile('i-1'), schemaVersion: 1, body: '{"instanceId":' }, 'i-1')).toThrow(
      'profile item of i-1: body is not valid JSON',
    );
    expect(() => parsePoolItem({ kind: 'pool', groupId: 'web', capacity: { vcpu: 'many' } }, groupId('web'))).toThrow(
      'invalid pool item of group web: capacity.vcpu',
    );
  });
});

describe('packed pool allocations', () => {
  const g = groupId('web');
  const counters = Object.fromEntries(
    ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'].flatMap((d) => [
      [`free_${d}`, 1],
      [`reserved_${d}`, 0],
      [`allocated_${d}`, 0],
    ]),
  );
  const amount = fc.integer({ min: 0, max: 1024 * 512 }).map((n) => n / 1024); // the pool's exact 1/1024 grid

  it('round-trip every grid amount exactly (the pool counters must add up to the last digit)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^i-[0-9a-f]{17}$/), fc.record({ vcpu: amount, memoryGiB: amount, networkMbps: amount, diskIops: amount }), {
          maxKeys: 50,
        }),
        (record) => {
          expect(unpackAllocations(packAllocations(record, g), g)).toEqual(record);
          expect(unpackAllocations(packAllocations(new Map(Object.entries(record).map(([id, r]) => [instanceId(id), r])), g), g)).toEqual(record);
        },
      ),
    );
  });

  it('a 10,000-instance pool fits one DynamoDB item (a map attribute would pass 400 KB near 4,000 instances)', () => {
    const fleet = buildSyntheticFleet({ instances: 10_000, now: Date.UTC(2026, 0, 12, 9), seed: 5 });
    const packed = packAllocations(fleet.allocations, g);
    expect(packed.byteLength).toBeLessThan(MAX_PACKED_ALLOCATIONS_BYTES);
    expect(packed.byteLength).toBeLessThan(250 * 1024);
    // The pool item parses back with every allocation.
    const item = parsePoolItem(
      {
        ...Keys.pool('web'),
        kind: 'pool',
        groupId: 'web',
        capacity: { vcpu: 1, memoryGiB: 1, networkMbps: 1, diskIops: 1 },
        allocations: packed,
        version: 3,
        ...counters,
      },
      g,
    );
    expect(Object.keys(item.allocations)).toHaveLength(fleet.allocations.size);
  });

  it('refuses a pool whose allocations cannot fit one item, naming the group, the count and the size', () => {
    // Ids that do not compress: 60,000 random-looking ones.
    const many = new Map(
      Array.from({ length: 60_000 }, (_, k) => [
        instanceId(`i-${((k * 2654435761) % 2 ** 32).toString(16).padStart(17, '0')}`),
        { vcpu: k / 1024, memoryGiB: (k * 7) / 1024, networkMbps: (k * 13) / 1024, diskIops: (k * 31) / 1024 },
      ]),
    );
    expect(() => packAllocations(many, g)).toThrow(
      /^pool of group web: the allocations of 60000 instances pack to \d+ bytes, over the \d+ a DynamoDB item \(400 KB\) leaves for them$/,
    );
  });

  it('a malformed packed attribute is an error naming the group and the field', () => {
    expect(() =>
      parsePoolItem(
        {
          ...Keys.pool('web'),
          kind: 'pool',
          groupId: 'web',
          capacity: { vcpu: 1, memoryGiB: 1, networkMbps: 1, diskIops: 1 },
          allocations: new Uint8Array([1, 2, 3]),
          version: 1,
          ...counters,
        },
        g,
      ),
    ).toThrow(/pool item of group web: allocations: not a packed allocation list/);
  });
});

describe('reservation items', () => {
  const plain: Reservation = {
    id: reservationId('evt-1:i-1'),
    groupId: groupId('web'),
    instanceId: instanceId('i-1'),
    amount: { vcpu: 8, memoryGiB: 32, networkMbps: 200, diskIops: 400 },
    createdAt: 1_000,
    expiresAt: 3_601_000,
    reason: 'spot interruption warning',
    priority: 90,
  };
  it("a reservation's purpose and subject round-trip; an item stored without them reads without them, and its id tells them", () => {
    const labelled: Reservation = { ...plain, id: reservationId('warning:evt-1:i-1'), purpose: 'warning', subject: instanceId('i-1') };
    const item = toReservationItem(labelled);
    expect(item).toMatchObject({ purpose: 'warning', subject: 'i-1' });
    expect(fromReservationItem(parseReservationItem(JSON.parse(JSON.stringify(item)), 'test'))).toEqual(labelled);
    const legacy = fromReservationItem(
      parseReservationItem(JSON.parse(JSON.stringify(toReservationItem({ ...plain, id: reservationId('rebalance:evt-9:i-7') }))), 'test'),
    );
    expect(legacy).not.toHaveProperty('purpose');
    expect([reservationPurpose(legacy), reservationSubject(legacy)]).toEqual(['rebalance', 'i-7']);
    expect(() => parseReservationItem({ ...item, purpose: 'holiday' }, 'reservation item')).toThrow(/purpose/);
  });

  it("a reservation's source and a sibling's retype target round-trip; an empty one is refused naming the field", () => {
    const sibling: Reservation = {
      ...plain,
      id: reservationId('sibling:evt-1:i-1:retype-to:m5.xlarge'),
      purpose: 'sibling',
      subject: instanceId('i-1'),
      source: 'evt-1',
      retypeTo: 'm5.xlarge',
    };
    const item = toReservationItem(sibling);
    expect(item).toMatchObject({ source: 'evt-1', retypeTo: 'm5.xlarge' });
    expect(fromReservationItem(parseReservationItem(JSON.parse(JSON.stringify(item)), 'test'))).toEqual(sibling);
    expect(() => parseReservationItem({ ...item, retypeTo: '' }, 'reservation item')).toThrow(/retypeTo/);
  });

  const borrowing: Reservation = {
    ...plain,
    loans: [
      { lender: instanceId('i-low-1'), amount: { vcpu: 3, memoryGiB: 12.5, networkMbps: 0, diskIops: 0 } },
      { lender: instanceId('i-low-2'), amount: { vcpu: 2 + 1 / 1024, memoryGiB: 8, networkMbps: 100, diskIops: 0 } },
    ],
  };
  const roundTrip = (r: Reservation) => fromReservationItem(parseReservationItem(toReservationItem(r), 'reservation item'));

  it('store loans as a list of { lender, amount } with exactly the four dimensions, and read them back exactly', () => {
    const item = toReservationItem({ ...borrowing, loans: borrowing.loans?.map((l) => ({ ...l, amount: { ...l.amount, extra: 1 } as typeof l.amount })) });
    expect(item.loans).toEqual([
      { lender: 'i-low-1', amount: { vcpu: 3, memoryGiB: 12.5, networkMbps: 0, diskIops: 0 } },
      { lender: 'i-low-2', amount: { vcpu: 2 + 1 / 1024, memoryGiB: 8, networkMbps: 100, diskIops: 0 } },
    ]);
    expect(roundTrip(borrowing)).toEqual(borrowing);
  });

  it('without loans (or with none) store and read no loans key, as before', () => {
    expect(toReservationItem(plain)).not.toHaveProperty('loans');
    expect(toReservationItem({ ...plain, loans: [] })).not.toHaveProperty('loans');
    expect(roundTrip(plain)).toEqual(plain);
    expect(roundTrip(plain)).not.toHaveProperty('loans');
  });

  it.each([
    [[{ lender: '', amount: { vcpu: 1, memoryGiB: 1, networkMbps: 0, diskIops: 0 } }], /^invalid reservation item r: loans\.0\.lender: .*\(got ""\)$/],
    [
      [{ lender: 'i-low-1', amount: { vcpu: 'lots', memoryGiB: 1, networkMbps: 0, diskIops: 0 } }],
      /^invalid reservation item r: loans\.0\.amount\.vcpu: .*\(got "lots"\)$/,
    ],
    [[{ lender: 'i-low-1', amount: { vcpu: 1, memoryGiB: 1, networkMbps: 0 } }], /^invalid reservation item r: loans\.0\.amount\.diskIops: .*\(got nothing\)$/],
    [[], /^invalid reservation item r: loans: .*\(got \[\]\)$/],
    ['i-low-1', /^invalid reservation item r: loans: .*\(got "i-low-1"\)$/],
  ])('a malformed stored loans attribute is an error naming the field and the value: %j', (loans, message) => {
    expect(() => parseReservationItem({ ...toReservationItem(plain), loans }, 'reservation item r')).toThrow(message);
  });
});
