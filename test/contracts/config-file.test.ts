import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { ConfigFileError, mergeConfigLayers, readConfigText, yamlConfigLayers, type ConfigLayer } from '../../lambda/contracts/config-file';
import { ValidationError } from '../../lambda/contracts/validation';
import type { ShapingPolicy } from '../../lambda/core/domain';
import { toShapingPolicy } from '../../lambda/core/policy/to-shaping-policy';

const layer = (value: Record<string, unknown>, source = 'test'): ConfigLayer => ({ source, value });

describe('mergeConfigLayers: names given twice in one source', () => {
  it('refuses them, naming both places and the source', () => {
    const run = () =>
      mergeConfigLayers([
        layer(
          {
            policies: [
              { policy_name: 'web', priority: 1 },
              { policy_name: 'batch', priority: 2 },
              { policy_name: 'web', priority: 3 },
            ],
          },
          "context 'spotwise'",
        ),
      ]);
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(
      `invalid configuration from context 'spotwise': policies.2.policy_name: duplicate policy name (first defined at policies.0) (got "web")`,
    );
  });

  it('still lets a later source replace an earlier one by name', () => {
    expect(
      mergeConfigLayers([layer({ policies: [{ policy_name: 'web', priority: 1 }] }, 'a'), layer({ policies: [{ policy_name: 'web', priority: 2 }] }, 'b')]),
    ).toEqual({ policies: [{ policy_name: 'web', priority: 2 }] });
  });
});

describe('readConfigText', () => {
  it('reads JSON as well (YAML 1.2 is a superset), merging documents in order', () => {
    expect(readConfigText('{"dry_run": true, "policies": [{"policy_name": "a", "priority": 1}]}', 'c.json')).toEqual({
      dry_run: true,
      policies: [{ policy_name: 'a', priority: 1 }],
    });
    expect(readConfigText('dry_run: true\n---\ndry_run: false\n', 'c.yaml')).toEqual({ dry_run: false });
  });
});

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
        {
          policies: [
            { policy_name: 'web', priority: 'high', forecast_quantile: 'p50' },
            { policy_name: 'batch', priority: 'low' },
          ],
        },
        {
          policies: [
            { policy_name: 'web', priority: 'medium' },
            { policy_name: 'ml', priority: 70 },
          ],
        },
      ],
      expected: {
        policies: [
          { policy_name: 'web', priority: 'medium' },
          { policy_name: 'batch', priority: 'low' },
          { policy_name: 'ml', priority: 70 },
        ],
      },
    },
    {
      name: 'groups and standby_groups merge by name',
      layers: [
        { groups: [{ name: 'a', policy: 'p' }], standby_groups: [{ name: 's1' }] },
        {
          groups: [
            { name: 'b', policy: 'p' },
            { name: 'a', policy: 'q' },
          ],
          standby_groups: [{ name: 's2' }],
        },
      ],
      expected: {
        groups: [
          { name: 'a', policy: 'q' },
          { name: 'b', policy: 'p' },
        ],
        standby_groups: [{ name: 's1' }, { name: 's2' }],
      },
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
      name: 'retraining merges key by key',
      layers: [{ retraining: { enabled: true, every_hours: 12 } }, { retraining: { min_cycles: 80 } }],
      expected: { retraining: { enabled: true, every_hours: 12, min_cycles: 80 } },
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
    const merge = () =>
      mergeConfigLayers([layer({ policies: [{ policy_name: 'a', priority: 1 }] }), layer({ policies: [{ priority: 2 }] }, './spotwise.yaml')]);
    expect(merge).toThrow(ValidationError);
    expect(merge).toThrow(/configuration from \.\/spotwise\.yaml: policies\.0\.policy_name: every entry of policies needs a policy_name \(got nothing\)/);
  });

  // ---------------------------------------------------------------------------------------------
  // Properties
  // ---------------------------------------------------------------------------------------------
  const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const policy = fc.record({ policy_name: name, priority: fc.integer({ min: 0, max: 100 }) });
  const uniqueBy =
    <T>(key: (t: T) => string) =>
    (list: T[]) =>
      list.filter((x, i) => list.findIndex((y) => key(y) === key(x)) === i);
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

  it("keeps every policy name once, first-seen order, with the last layer's entry", () => {
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

/** Seed 9848041's example policy, verbatim. */
const SEED_POLICY = `policy_name: "high_priority_tasks"
priority: "high"
resource_demand:
  cpu_cores: 8
  memory_gb: 16
behavior:
  eviction_threshold: 0.9  # Evict low-priority tasks if CPU utilization exceeds 90%
  preemption_enabled: true  # Allow preemption of lower-priority tasks
`;

const FULL_POLICY = `policy_name: batch
priority: 20
resource_demand: { cpu_cores: 2, memory_gb: 4, network_bandwidth_mbps: 100, storage_io_ops: 500 }
behavior: { eviction_threshold: 0.75, preemption_enabled: false }
disruption_budget: { max_unavailable: "25%" }
forecast_quantile: p50
post_restart_window_minutes: 15
allowed_instance_types: [m5.large, m5.xlarge]
allow_stop_modify_start: true
dry_run: true
unstable_pool: { enabled: true, reclaim_threshold: 5, window_minutes: 30, cool_down_minutes: 240 }
throttle: { enabled: true, over_allocation_minutes: 20 }
placement_weights: { free_cpu: 0.1, free_memory: 0.6 }
borrow_limit: 0.25
`;

/**
 * The shaping policies a file gives, as synth and `spotwise plan` get them: the one reader, the merge and the
 * configuration schema (groups selected by tag, so a file of policies alone is a whole configuration).
 */
const policiesOf = (text: string, file = 'spotwise.yaml'): ShapingPolicy[] =>
  parseSpotwiseConfig({ group_tag: { key: 'team', value: 'web' }, ...readConfigText(text, file) }).policies.map(toShapingPolicy);

/** The message of the error `f` throws: a ValidationError or a ConfigFileError (fails the test when nothing or something else is thrown). */
const errorOf = (f: () => unknown): string => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught instanceof ValidationError || caught instanceof ConfigFileError, String(caught)).toBe(true);
  return (caught as Error).message;
};

describe('policies read from YAML: accepted shapes', () => {
  it('parses the seed 9848041 example and fills the documented defaults', () => {
    expect(policiesOf(SEED_POLICY)).toEqual([
      {
        policyName: 'high_priority_tasks',
        priority: 90,
        resourceDemand: { vcpu: 8, memoryGiB: 16 },
        evictionThreshold: 0.9,
        preemptionEnabled: true,
        disruptionBudget: { maxUnavailable: 1 },
        forecastQuantile: 'p90',
        postRestartWindowMinutes: 30,
        allowedInstanceTypes: [],
        allowStopModifyStart: false,
        dryRun: false,
        placementWeights: { priority: 0.5, freeCpu: 0.3, freeMemory: 0.2 },
        unstablePool: { enabled: false, reclaimThreshold: 3, windowMinutes: 60, coolDownMinutes: 120 },
        throttle: { enabled: false, overAllocationMinutes: 15 },
        borrowLimit: 0,
      },
    ]);
  });

  it('maps every extended field', () => {
    expect(policiesOf(FULL_POLICY)).toEqual([
      {
        policyName: 'batch',
        priority: 20,
        resourceDemand: { vcpu: 2, memoryGiB: 4, networkMbps: 100, diskIops: 500 },
        evictionThreshold: 0.75,
        preemptionEnabled: false,
        disruptionBudget: { maxUnavailable: '25%' },
        forecastQuantile: 'p50',
        postRestartWindowMinutes: 15,
        allowedInstanceTypes: ['m5.large', 'm5.xlarge'],
        allowStopModifyStart: true,
        dryRun: true,
        placementWeights: { priority: 0.5, freeCpu: 0.1, freeMemory: 0.6 },
        unstablePool: { enabled: true, reclaimThreshold: 5, windowMinutes: 30, coolDownMinutes: 240 },
        throttle: { enabled: true, overAllocationMinutes: 20 },
        borrowLimit: 0.25,
      },
    ]);
  });

  it.each([
    ['a list', `- policy_name: a\n  priority: high\n- policy_name: b\n  priority: low\n`, ['a', 'b']],
    ['a policies mapping', `policies:\n  - policy_name: a\n    priority: medium\n`, ['a']],
    ['multi-document', `${SEED_POLICY}---\n${FULL_POLICY}`, ['high_priority_tasks', 'batch']],
    ['multi-document with a list and a trailing separator', `- policy_name: a\n  priority: 1\n---\npolicy_name: b\npriority: 2\n---\n`, ['a', 'b']],
    ['named priorities', `- {policy_name: h, priority: high}\n- {policy_name: m, priority: medium}\n- {policy_name: l, priority: low}\n`, ['h', 'm', 'l']],
  ])('accepts %s', (_name, text, names) => {
    expect(policiesOf(text).map((p) => p.policyName)).toEqual(names);
  });

  it('maps priority names onto 0..100', () => {
    expect(
      policiesOf(`- {policy_name: h, priority: high}\n- {policy_name: m, priority: medium}\n- {policy_name: l, priority: low}\n`).map((p) => p.priority),
    ).toEqual([90, 50, 10]);
  });
});

describe('policies read from YAML: rejections name the field and the value', () => {
  it.each([
    [
      'eviction threshold above 1',
      `policy_name: a\npriority: high\nbehavior:\n  eviction_threshold: 1.5\n`,
      'policies.0.behavior.eviction_threshold: Too big: expected number to be <=1 (got 1.5)',
    ],
    [
      'unknown priority name',
      `policy_name: a\npriority: urgent\n`,
      'policies.0.priority: expected high, medium, low or an integer within 0..100 (got "urgent")',
    ],
    ['priority out of range', `policy_name: a\npriority: 101\n`, 'policies.0.priority: Too big: expected number to be <=100 (got 101)'],
    ['typo in a key (strict)', `policy_name: a\npriority: 1\nbehaviour: {}\n`, 'policies.0: Unrecognized key: "behaviour"'],
    ['missing policy_name (in a list)', `- priority: 1\n`, 'policies.0.policy_name: Invalid input: expected string, received undefined (got nothing)'],
    ['a policy key in a configuration mapping (no policy_name makes it one)', `priority: 1\n`, '(root): Unrecognized key: "priority"'],
    [
      'negative cpu demand',
      `policy_name: a\npriority: 1\nresource_demand: {cpu_cores: -2}\n`,
      'policies.0.resource_demand.cpu_cores: Too small: expected number to be >0 (got -2)',
    ],
    [
      'percentage above 100',
      `policy_name: a\npriority: 1\ndisruption_budget: {max_unavailable: "150%"}\n`,
      'policies.0.disruption_budget.max_unavailable: expected a percentage within 0%..100% (got "150%")',
    ],
    [
      'bad instance type',
      `policy_name: a\npriority: 1\nallowed_instance_types: [M5-LARGE]\n`,
      'policies.0.allowed_instance_types.0: expected an instance type like "m5.large" (got "M5-LARGE")',
    ],
    [
      'window too short',
      `policy_name: a\npriority: 1\npost_restart_window_minutes: 2\n`,
      'policies.0.post_restart_window_minutes: Too small: expected number to be >=5 (got 2)',
    ],
    ['bad quantile', `policy_name: a\npriority: 1\nforecast_quantile: p99\n`, 'policies.0.forecast_quantile'],
    [
      'string where a boolean belongs',
      `policy_name: a\npriority: 1\ndry_run: "yes"\n`,
      'policies.0.dry_run: Invalid input: expected boolean, received string (got "yes")',
    ],
    [
      'negative placement weight',
      `policy_name: a\npriority: 1\nplacement_weights: {free_cpu: -0.3}\n`,
      'policies.0.placement_weights.free_cpu: Too small: expected number to be >=0 (got -0.3)',
    ],
    [
      'both placement weights 0',
      `policy_name: a\npriority: 1\nplacement_weights: {free_cpu: 0, free_memory: 0}\n`,
      'policies.0.placement_weights: free_cpu 0 and free_memory 0: at least one must be above 0',
    ],
    [
      'typo in a placement weight',
      `policy_name: a\npriority: 1\nplacement_weights: {free_mem: 0.2}\n`,
      'policies.0.placement_weights: Unrecognized key: "free_mem"',
    ],
    [
      'second document',
      `policy_name: a\npriority: 1\n---\npolicy_name: b\npriority: 1\npost_restart_window_minutes: 2\n`,
      'policies.1.post_restart_window_minutes: Too small: expected number to be >=5 (got 2)',
    ],
    ['borrow_limit above 1', `policy_name: a\npriority: 1\nborrow_limit: 1.5\n`, 'policies.0.borrow_limit: Too big: expected number to be <=1 (got 1.5)'],
  ])('%s', (_name, text, message) => {
    expect(errorOf(() => policiesOf(text, 'spotwise.yaml'))).toContain(message);
  });

  it('names the source in the message', () => {
    expect(errorOf(() => yamlConfigLayers(`policy_name: a\npriority: [urgent\n`, 'spotwise.yaml'))).toMatch(
      /^spotwise\.yaml: invalid YAML at line 3, column \d+: /,
    );
    expect(errorOf(() => yamlConfigLayers(`- {policy_name: a, priority: 1}\n- {policy_name: a, priority: 2}\n`, 'spotwise.yaml'))).toMatch(
      /^invalid configuration file spotwise\.yaml: /,
    );
  });

  it('reports every problem at once', () => {
    const message = errorOf(() => policiesOf(`- {policy_name: a, priority: 500}\n- {policy_name: b, priority: 1, post_restart_window_minutes: -1}\n`));
    expect(message).toContain('policies.0.priority');
    expect(message).toContain('policies.1.post_restart_window_minutes');
  });

  it.each([
    [
      'two valid policies',
      `- {policy_name: same, priority: 1}\n- {policy_name: same, priority: 2}\n`,
      'policies.1.policy_name: duplicate policy name (first defined at policies.0) (got "same")',
    ],
    [
      'the first one invalid',
      `- {policy_name: same, priority: 500}\n- {policy_name: same, priority: 2}\n`,
      'policies.1.policy_name: duplicate policy name (first defined at policies.0) (got "same")',
    ],
    [
      'across documents',
      `policy_name: same\npriority: 1\n---\npolicy_name: same\npriority: 2\n`,
      'document 2: policies.0.policy_name: duplicate policy name (first defined at document 1: policies.0) (got "same")',
    ],
    [
      'in a configuration mapping',
      `policies:\n  - {policy_name: a, priority: 1}\n  - {policy_name: same, priority: 1}\n  - {policy_name: same, priority: 2}\n`,
      'policies.2.policy_name: duplicate policy name (first defined at policies.1) (got "same")',
    ],
    [
      'a group named twice',
      `groups:\n  - {name: web, policy: a, capacity: {vcpu: 1, memory_gib: 1}}\n  - {name: web, policy: a, capacity: {vcpu: 1, memory_gib: 1}}\npolicies: [{policy_name: a, priority: 1}]\n`,
      'groups.1.name: duplicate group name (first defined at groups.0) (got "web")',
    ],
  ])('rejects names given twice, naming both places: %s', (_name, text, message) => {
    expect(errorOf(() => policiesOf(text))).toContain(message);
  });

  it.each([
    ['unterminated flow sequence', `policy_name: a\npriority: [high\n`, /line \d+, column \d+: .*Flow sequence/],
    ['duplicate key', `policy_name: a\npolicy_name: b\n`, /line 2, column 1: Map keys must be unique \("policy_name: b"\)/],
    ['tab indentation', `policy_name: a\nbehavior:\n\teviction_threshold: 0.5\n`, /line 3, column \d+/],
  ])('YAML syntax error (%s) names line and column', (_name, text, pattern) => {
    expect(errorOf(() => policiesOf(text))).toMatch(pattern);
  });

  it.each([
    ['empty text', '', 'policies: Invalid input: expected array, received undefined'],
    ['comment only', '# nothing here\n', 'policies: Invalid input: expected array, received undefined'],
    ['empty list', '[]\n', 'policies: Too small: expected array to have >=1 items (got [])'],
  ])('rejects a file without policies (%s)', (_name, text, message) => {
    expect(errorOf(() => policiesOf(text))).toContain(message);
  });

  it.each([
    ['a scalar', '42\n', 'spotwise.yaml: document 1 is 42; expected a configuration mapping, a policy or a list of policies'],
    ['policies not a list', 'policies: {policy_name: a}\n', 'policies: Invalid input: expected array, received object (got {"policy_name":"a"})'],
    ['a scalar in the second document', 'policy_name: a\npriority: 1\n--- hello\n', 'spotwise.yaml: document 2 is "hello"; expected a configuration mapping'],
  ])('rejects %s', (_name, text, message) => {
    expect(errorOf(() => policiesOf(text))).toContain(message);
  });

  it('survives an alias bomb with an error instead of expanding it', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n');
    expect(errorOf(() => policiesOf(bomb))).toContain('alias');
  });

  it('property: arbitrary text either parses to named policies or throws a ValidationError or ConfigFileError (never anything else)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const policies = policiesOf(text);
          expect(policies.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e instanceof ValidationError || e instanceof ConfigFileError, String(e)).toBe(true);
        }
      }),
    );
  });

  it('property: a valid policy round-trips through YAML', () => {
    const policyArb = fc.record({
      policy_name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/),
      priority: fc.oneof(fc.constantFrom('high', 'medium', 'low'), fc.integer({ min: 0, max: 100 })),
      behavior: fc.record({ eviction_threshold: fc.double({ min: 0.01, max: 1, noNaN: true }), preemption_enabled: fc.boolean() }),
      placement_weights: fc.record({ free_cpu: fc.double({ min: 0.01, max: 1, noNaN: true }), free_memory: fc.double({ min: 0, max: 1, noNaN: true }) }),
      post_restart_window_minutes: fc.integer({ min: 5, max: 240 }),
    });
    fc.assert(
      fc.property(policyArb, (p) => {
        const [parsed] = policiesOf(stringify(p));
        expect(parsed?.policyName).toBe(p.policy_name);
        expect(parsed?.evictionThreshold).toBe(p.behavior.eviction_threshold);
        expect(parsed?.postRestartWindowMinutes).toBe(p.post_restart_window_minutes);
      }),
    );
  });
});
