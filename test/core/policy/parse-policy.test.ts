import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambda/contracts/validation';
import { DEFAULT_POLICY, parsePolicies, parsePoliciesYaml } from '../../../lambda/core/policy/parse-policy';

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
borrow_limit: 0.2
dry_run: true
`;

/** The message of the ValidationError `f` throws (fails the test when nothing or something else is thrown). */
const errorOf = (f: () => unknown): string => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  return (caught as ValidationError).message;
};

describe('parsePoliciesYaml: accepted shapes', () => {
  it('parses the seed 9848041 example and fills the documented defaults', () => {
    expect(parsePoliciesYaml(SEED_POLICY)).toEqual([
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
        borrowLimit: 0.5,
        dryRun: false,
      },
    ]);
  });

  it('maps every extended field', () => {
    expect(parsePoliciesYaml(FULL_POLICY)).toEqual([
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
        borrowLimit: 0.2,
        dryRun: true,
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
    expect(parsePoliciesYaml(text).map((p) => p.policyName)).toEqual(names);
  });

  it('maps priority names onto 0..100', () => {
    expect(parsePoliciesYaml(`- {policy_name: h, priority: high}\n- {policy_name: m, priority: medium}\n- {policy_name: l, priority: low}\n`).map((p) => p.priority)).toEqual([90, 50, 10]);
  });
});

describe('parsePoliciesYaml: rejections name the field and the value', () => {
  it.each([
    ['eviction threshold above 1', `policy_name: a\npriority: high\nbehavior:\n  eviction_threshold: 1.5\n`, 'policies.0.behavior.eviction_threshold: Too big: expected number to be <=1 (got 1.5)'],
    ['unknown priority name', `policy_name: a\npriority: urgent\n`, 'policies.0.priority: expected high, medium, low or an integer within 0..100 (got "urgent")'],
    ['priority out of range', `policy_name: a\npriority: 101\n`, 'policies.0.priority: Too big: expected number to be <=100 (got 101)'],
    ['typo in a key (strict)', `policy_name: a\npriority: 1\nbehaviour: {}\n`, 'policies.0: Unrecognized key: "behaviour"'],
    ['missing policy_name', `priority: 1\n`, 'policies.0.policy_name: Invalid input: expected string, received undefined (got nothing)'],
    ['negative cpu demand', `policy_name: a\npriority: 1\nresource_demand: {cpu_cores: -2}\n`, 'policies.0.resource_demand.cpu_cores: Too small: expected number to be >0 (got -2)'],
    ['percentage above 100', `policy_name: a\npriority: 1\ndisruption_budget: {max_unavailable: "150%"}\n`, 'policies.0.disruption_budget.max_unavailable: expected a percentage within 0%..100% (got "150%")'],
    ['bad instance type', `policy_name: a\npriority: 1\nallowed_instance_types: [M5-LARGE]\n`, 'policies.0.allowed_instance_types.0: expected an instance type like "m5.large" (got "M5-LARGE")'],
    ['window too short', `policy_name: a\npriority: 1\npost_restart_window_minutes: 2\n`, 'policies.0.post_restart_window_minutes: Too small: expected number to be >=5 (got 2)'],
    ['bad quantile', `policy_name: a\npriority: 1\nforecast_quantile: p99\n`, 'policies.0.forecast_quantile'],
    ['string where a boolean belongs', `policy_name: a\npriority: 1\ndry_run: "yes"\n`, 'policies.0.dry_run: Invalid input: expected boolean, received string (got "yes")'],
    ['second document', `policy_name: a\npriority: 1\n---\npolicy_name: b\npriority: 1\nborrow_limit: 2\n`, 'policies.1.borrow_limit: Too big: expected number to be <=1 (got 2)'],
  ])('%s', (_name, text, message) => {
    expect(errorOf(() => parsePoliciesYaml(text, 'spotwise.yaml'))).toContain(message);
  });

  it('names the source in the message', () => {
    expect(errorOf(() => parsePoliciesYaml(`policy_name: a\npriority: urgent\n`, 'spotwise.yaml'))).toMatch(/^invalid shaping policies \(spotwise\.yaml\): /);
  });

  it('reports every problem at once', () => {
    const message = errorOf(() => parsePoliciesYaml(`- {policy_name: a, priority: 500}\n- {policy_name: b, priority: 1, borrow_limit: -1}\n`));
    expect(message).toContain('policies.0.priority');
    expect(message).toContain('policies.1.borrow_limit');
  });

  it.each([
    ['two valid policies', `- {policy_name: same, priority: 1}\n- {policy_name: same, priority: 2}\n`],
    ['across documents', `policy_name: same\npriority: 1\n---\npolicy_name: same\npriority: 2\n`],
    ['the first one invalid', `- {policy_name: same, priority: 500}\n- {policy_name: same, priority: 2}\n`],
  ])('rejects duplicate policy names: %s', (_name, text) => {
    expect(errorOf(() => parsePoliciesYaml(text))).toContain('policies.1.policy_name: duplicate policy name (first defined at policies.0) (got "same")');
  });

  it.each([
    ['unterminated flow sequence', `policy_name: a\npriority: [high\n`, /line \d+ column \d+: .*Flow sequence/],
    ['duplicate key', `policy_name: a\npolicy_name: b\n`, /line 2 column 1: Map keys must be unique \(got "policy_name: b"\)/],
    ['tab indentation', `policy_name: a\nbehavior:\n\teviction_threshold: 0.5\n`, /line 3 column \d+/],
  ])('YAML syntax error (%s) names line and column', (_name, text, pattern) => {
    expect(errorOf(() => parsePoliciesYaml(text))).toMatch(pattern);
  });

  it.each([
    ['empty text', ''],
    ['comment only', '# nothing here\n'],
    ['empty list', '[]\n'],
  ])('rejects a file without policies (%s)', (_name, text) => {
    expect(errorOf(() => parsePoliciesYaml(text))).toContain('policies: expected at least one policy');
  });

  it.each([
    ['a scalar', '42\n', '(root): expected a policy, a list of policies or a mapping with a policies list (got 42)'],
    ['policies not a list', 'policies: {policy_name: a}\n', 'policies: expected a list of policies'],
    ['a scalar in the second document', 'policy_name: a\npriority: 1\n--- hello\n', 'document 2: expected a policy'],
  ])('rejects %s', (_name, text, message) => {
    expect(errorOf(() => parsePoliciesYaml(text))).toContain(message);
  });

  it('survives an alias bomb with an error instead of expanding it', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    expect(errorOf(() => parsePoliciesYaml(bomb))).toContain('alias');
  });

  it('property: arbitrary text either parses to named policies or throws a ValidationError (never anything else)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const policies = parsePoliciesYaml(text);
          expect(policies.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });

  it('property: a valid policy round-trips through YAML', () => {
    const policyArb = fc.record({
      policy_name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/),
      priority: fc.oneof(fc.constantFrom('high', 'medium', 'low'), fc.integer({ min: 0, max: 100 })),
      behavior: fc.record({ eviction_threshold: fc.double({ min: 0.01, max: 1, noNaN: true }), preemption_enabled: fc.boolean() }),
      borrow_limit: fc.double({ min: 0, max: 1, noNaN: true }),
      post_restart_window_minutes: fc.integer({ min: 5, max: 240 }),
    });
    fc.assert(
      fc.property(policyArb, (p) => {
        const [parsed] = parsePoliciesYaml(stringify(p));
        expect(parsed?.policyName).toBe(p.policy_name);
        expect(parsed?.evictionThreshold).toBe(p.behavior.eviction_threshold);
        expect(parsed?.postRestartWindowMinutes).toBe(p.post_restart_window_minutes);
      }),
    );
  });
});

describe('parsePolicies (already-parsed values, e.g. cdk.json context)', () => {
  it('validates objects the same way', () => {
    expect(parsePolicies([{ policy_name: 'a', priority: 'low' }])[0]?.priority).toBe(10);
    expect(errorOf(() => parsePolicies([{ policy_name: 'a', priority: 'low', behavior: { eviction_threshold: 0 } }], 'cdk.json'))).toContain(
      'invalid shaping policies (cdk.json): policies.0.behavior.eviction_threshold: Too small: expected number to be >0 (got 0)',
    );
  });
});

describe('DEFAULT_POLICY', () => {
  it('is the schema defaults at medium priority', () => {
    expect(DEFAULT_POLICY).toEqual({
      policyName: 'default',
      priority: 50,
      evictionThreshold: 0.9,
      preemptionEnabled: false,
      disruptionBudget: { maxUnavailable: 1 },
      forecastQuantile: 'p90',
      postRestartWindowMinutes: 30,
      allowedInstanceTypes: [],
      allowStopModifyStart: false,
      borrowLimit: 0.5,
      dryRun: false,
    });
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });
});
