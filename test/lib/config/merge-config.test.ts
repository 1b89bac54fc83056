import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeConfigLayers, type ConfigLayer } from '../../../lib/config/merge-config';
import { ValidationError } from '../../../lambda/contracts/validation';

const layer = (value: Record<string, unknown>, source = 'test'): ConfigLayer => ({ source, value });

describe('mergeConfigLayers', () => {
  it.each([
    {
      name: 'later scalar wins',
      layers: [{ dry_run: true, alarm_email: 'a@example.com' }, { dry_run: false }],
      expected: { dry_run: false, alarm_email: 'a@example.com' },
    },
    {
      name: 'policies are replaced whole by name, new names appended in order',
      layers: [
        { policies: [{ policy_name: 'web', priority: 'high', forecast_quantile: 'p50' }, { policy_name: 'batch', priority: 'low' }] },
        { policies: [{ policy_name: 'web', priority: 'medium' }, { policy_name: 'ml', priority: 70 }] },
      ],
      expected: { policies: [{ policy_name: 'web', priority: 'medium' }, { policy_name: 'batch', priority: 'low' }, { policy_name: 'ml', priority: 70 }] },
    },
    {
      name: 'groups and standby_groups merge by name',
      layers: [
        { groups: [{ name: 'a', policy: 'p' }], standby_groups: [{ name: 's1' }] },
        { groups: [{ name: 'b', policy: 'p' }, { name: 'a', policy: 'q' }], standby_groups: [{ name: 's2' }] },
      ],
      expected: { groups: [{ name: 'a', policy: 'q' }, { name: 'b', policy: 'p' }], standby_groups: [{ name: 's1' }, { name: 's2' }] },
    },
    {
      name: 'profiler and alarms merge key by key',
      layers: [
        { profiler: { rate_minutes: 5, window_minutes: 60 }, alarms: { prediction_error_ratio: 0.5 } },
        { profiler: { rate_minutes: 10 }, alarms: { stale_profile_minutes: 45 } },
      ],
      expected: { profiler: { rate_minutes: 10, window_minutes: 60 }, alarms: { prediction_error_ratio: 0.5, stale_profile_minutes: 45 } },
    },
    {
      name: 'managed_tag and group_tag are pairs: replaced whole',
      layers: [{ managed_tag: { key: 'a', value: '1' }, group_tag: { key: 'team', value: 'x' } }, { managed_tag: { key: 'b', value: '2' } }],
      expected: { managed_tag: { key: 'b', value: '2' }, group_tag: { key: 'team', value: 'x' } },
    },
    {
      name: 'a non-list named list is passed through for the schema to reject',
      layers: [{ policies: [{ policy_name: 'a', priority: 1 }] }, { policies: 'oops' }],
      expected: { policies: 'oops' },
    },
    { name: 'undefined values do not erase', layers: [{ dry_run: true }, { dry_run: undefined }], expected: { dry_run: true } },
  ])('$name', ({ layers, expected }) => {
    expect(mergeConfigLayers(layers.map((v) => layer(v)))).toEqual(expected);
  });

  it('names the source, the field and the value when a list entry has no name', () => {
    const merge = () => mergeConfigLayers([layer({ policies: [{ policy_name: 'a', priority: 1 }] }), layer({ policies: [{ priority: 2 }] }, './spotwise.yaml')]);
    expect(merge).toThrow(ValidationError);
    expect(merge).toThrow(/configuration from \.\/spotwise\.yaml: policies\.0\.policy_name: every entry of policies needs a policy_name \(got nothing\)/);
  });

  // ---------------------------------------------------------------------------------------------
  // Properties
  // ---------------------------------------------------------------------------------------------
  const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const policy = fc.record({ policy_name: name, priority: fc.integer({ min: 0, max: 100 }) });
  const uniqueBy = <T>(key: (t: T) => string) => (list: T[]) => list.filter((x, i) => list.findIndex((y) => key(y) === key(x)) === i);
  const layerValue = fc.record(
    {
      dry_run: fc.boolean(),
      alarm_email: fc.constantFrom('a@example.com', 'b@example.com'),
      policies: fc.array(policy, { maxLength: 5 }).map(uniqueBy((p) => p.policy_name)),
      profiler: fc.record({ rate_minutes: fc.integer({ min: 1, max: 60 }), window_minutes: fc.integer({ min: 5, max: 1440 }) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );

  it('is associative', () => {
    fc.assert(
      fc.property(layerValue, layerValue, layerValue, (a, b, c) => {
        const left = mergeConfigLayers([layer(mergeConfigLayers([layer(a), layer(b)])), layer(c)]);
        const right = mergeConfigLayers([layer(a), layer(mergeConfigLayers([layer(b), layer(c)]))]);
        expect(left).toEqual(right);
      }),
    );
  });

  it('has the empty layer as identity, on either side', () => {
    fc.assert(
      fc.property(layerValue, (a) => {
        const alone = mergeConfigLayers([layer(a)]);
        expect(mergeConfigLayers([layer({}), layer(a)])).toEqual(alone);
        expect(mergeConfigLayers([layer(a), layer({})])).toEqual(alone);
      }),
    );
  });

  it('keeps every policy name once, first-seen order, with the last layer\'s entry', () => {
    fc.assert(
      fc.property(fc.array(layerValue, { maxLength: 4 }), (values) => {
        const merged = mergeConfigLayers(values.map((v) => layer(v)));
        const all = values.flatMap((v) => v.policies ?? []);
        const names = all.map((p) => p.policy_name).filter((n, i, list) => list.indexOf(n) === i);
        const out = (merged.policies ?? []) as { policy_name: string }[];
        expect(out.map((p) => p.policy_name)).toEqual(names);
        for (const p of out) expect(p).toEqual(all.filter((q) => q.policy_name === p.policy_name).at(-1));
      }),
    );
  });

  it('takes each scalar from the last layer that sets it', () => {
    fc.assert(
      fc.property(fc.array(layerValue, { minLength: 1, maxLength: 4 }), (values) => {
        const merged = mergeConfigLayers(values.map((v) => layer(v)));
        expect(merged.dry_run).toEqual(values.filter((v) => v.dry_run !== undefined).at(-1)?.dry_run);
        expect(merged.alarm_email).toEqual(values.filter((v) => v.alarm_email !== undefined).at(-1)?.alarm_email);
      }),
    );
  });
});
