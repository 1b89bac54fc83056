import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyItem, decodeBody, encodeBody, MAX_BODY_BYTES, parsePoolItem, parseProfileItem, profileItem } from '../../lambda/adapters/dynamodb-items';
import { Keys } from '../../lambda/contracts/table';
import { groupId, instanceId } from '../../lambda/core/domain';
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
        fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 4 }),
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
    const profile = newProfile({ instanceId: instanceId('i-1'), groupId: groupId('web'), instanceType: 'm5.large', vcpus: 2, jobType: 'web', launchedAt: 0, now: 1000 });
    const seen = updateProfile(profile, [{ at: 60_000, cpuPercent: 40, cpuMaxPercent: 70, networkMbps: Number.NaN }], 61_000);
    const item = profileItem(seen);
    expect(item).toMatchObject({ ...Keys.profile('i-1'), kind: 'profile', instanceId: 'i-1', groupId: 'web', updatedAt: 61_000 });
    expect(parseProfileItem(item, 'i-1')).toEqual(seen);
  });

  it('refuses a record too large for one DynamoDB item, naming it', () => {
    expect(() => bodyItem(Keys.profile('i-1'), 'profile', 'profile of i-1', { blob: 'x'.repeat(MAX_BODY_BYTES) })).toThrow(/^profile of i-1: \d+ bytes of JSON exceed the 350000-byte limit/);
  });

  it('names the field and value of a malformed stored item', () => {
    expect(() => parseProfileItem({ ...Keys.profile('i-1'), schemaVersion: 2, body: '{}' }, 'i-1')).toThrow('invalid profile item of i-1: schemaVersion');
    expect(() => parseProfileItem({ ...Keys.profile('i-1'), schemaVersion: 1, body: '{"instanceId":' }, 'i-1')).toThrow('profile item of i-1: body is not valid JSON');
    expect(() => parsePoolItem({ kind: 'pool', groupId: 'web', capacity: { vcpu: 'many' } }, groupId('web'))).toThrow('invalid pool item of group web: capacity.vcpu');
  });
});
