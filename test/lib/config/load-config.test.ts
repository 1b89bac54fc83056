import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../../lib/config/context-keys';
import { demoGroupNames } from '../../../lib/config/demo-config';
import { ConfigFileError, loadSpotwiseConfig, readBooleanContext, yamlConfigLayers, type LoadConfigOptions } from '../../../lib/config/load-config';
import { ValidationError } from '../../../lambda/contracts/validation';

const files =
  (map: Record<string, string>): ((path: string) => string) =>
  (path) => {
    const text = map[path];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  };

const load = (context: Record<string, unknown>, extra: Partial<LoadConfigOptions> = {}) =>
  loadSpotwiseConfig({ context: (k) => context[k], stackName: 'Spotwise', cwd: '/proj', ...extra });

const minimal = {
  groups: [{ name: 'web-spot', policy: 'web', capacity: { vcpu: 8, memory_gib: 32 } }],
  policies: [{ policy_name: 'web', priority: 'high' }],
};

describe('loadSpotwiseConfig', () => {
  it('uses spotwise.example.yaml (dry-run) when no configuration is given', () => {
    const loaded = load({});
    expect(loaded.sources).toEqual(['spotwise.example.yaml (default: no configuration given)']);
    expect(loaded.config.dry_run).toBe(true);
    expect(loaded.config.groups.map((g) => g.name)).toEqual(['web-spot', 'batch-spot']);
    expect(loaded.config.standby_groups.map((g) => g.name)).toEqual(['web-standby']);
    expect(loaded.demo).toBe(false);
    expect(loaded.lifecycleHooksOnExistingGroups).toBe(false);
  });

  it('takes the configuration from the context object, filling the schema defaults', () => {
    const loaded = load({ [ContextKey.config]: minimal });
    expect(loaded.sources).toEqual([`context '${ContextKey.config}'`]);
    expect(loaded.input).toEqual(minimal);
    expect(loaded.config.dry_run).toBe(true);
    expect(loaded.config.profiler).toEqual({ rate_minutes: 5, metrics_every_minutes: 20, window_minutes: 60, half_life_hours: 24 });
    expect(loaded.config.groups[0]?.capacity).toEqual({ vcpu: 8, memory_gib: 32, network_mbps: 100_000, disk_iops: 1_000_000 });
  });

  it('accepts the context configuration as a JSON string (-c spotwise=...)', () => {
    expect(load({ [ContextKey.config]: JSON.stringify(minimal) }).config.groups[0]?.name).toBe('web-spot');
  });

  it.each([
    { value: '{not json', message: /CDK context: spotwise: expected a JSON object \(.*\) \(got "\{not json"\)/ },
    { value: '[1,2]', message: /spotwise: expected an object \(got "\[1,2\]"\)/ },
    { value: 42, message: /spotwise: expected an object \(got 42\)/ },
  ])('rejects the context configuration $value naming the key and the value', ({ value, message }) => {
    expect(() => load({ [ContextKey.config]: value })).toThrow(message);
  });

  it('fails naming the field and the value when the merged configuration is invalid', () => {
    const bad = { ...minimal, groups: [{ name: 'web-spot', policy: 'nope', capacity: { vcpu: 8, memory_gib: 32 } }] };
    let error: unknown;
    try {
      load({ [ContextKey.config]: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'groups.0.policy', value: 'nope', message: 'no policy named "nope" in policies' }]);
    expect((error as Error).message).toContain(`invalid spotwise configuration (from context '${ContextKey.config}'): groups.0.policy`);
    expect((error as Error).message).toContain('(got "nope")');
  });

  it.each([
    { field: 'policies.0.priority', patch: { policies: [{ policy_name: 'web', priority: 'urgent' }] }, got: '"urgent"' },
    { field: 'groups.0.capacity.vcpu', patch: { groups: [{ name: 'web-spot', policy: 'web', capacity: { vcpu: -1, memory_gib: 32 } }] }, got: '-1' },
    { field: 'profiler.rate_minutes', patch: { profiler: { rate_minutes: 0 } }, got: '0' },
    { field: 'dry_run', patch: { dry_run: 'yes' }, got: '"yes"' },
  ])('names $field and its value $got', ({ field, patch, got }) => {
    expect(() => load({ [ContextKey.config]: { ...minimal, ...patch } })).toThrow(
      new RegExp(`${field.replace(/\./g, '\\.')}: .*\\(got ${got.replace(/[-"]/g, (c) => `\\${c}`)}\\)`),
    );
  });

  it('rejects a group named twice across groups and standby_groups', () => {
    const dup = { ...minimal, standby_groups: [{ name: 'web-spot' }] };
    expect(() => load({ [ContextKey.config]: dup })).toThrow(/standby_groups\.0\.name: group named twice \(in groups or standby_groups\) \(got "web-spot"\)/);
  });

  describe('the YAML file (-c policy=...)', () => {
    it('reads a whole configuration, relative to the working directory', () => {
      const yaml =
        'groups:\n  - name: web-spot\n    policy: web\n    capacity: { vcpu: 4, memory_gib: 8 }\npolicies:\n  - policy_name: web\n    priority: medium\n';
      const loaded = load({ [ContextKey.policyFile]: './spotwise.yaml' }, { readFile: files({ '/proj/spotwise.yaml': yaml }) });
      expect(loaded.sources).toEqual(['./spotwise.yaml']);
      expect(loaded.config.policies[0]?.priority).toBe('medium');
    });

    it('merges a seed-style policy file into the context configuration, the file winning', () => {
      const yaml = 'policy_name: "web"\npriority: "low"\nbehavior:\n  eviction_threshold: 0.8\n  preemption_enabled: true\n';
      const loaded = load({ [ContextKey.config]: minimal, [ContextKey.policyFile]: 'p.yaml' }, { readFile: files({ '/proj/p.yaml': yaml }) });
      expect(loaded.sources).toEqual([`context '${ContextKey.config}'`, 'p.yaml']);
      expect(loaded.config.policies).toHaveLength(1);
      expect(loaded.config.policies[0]).toMatchObject({ policy_name: 'web', priority: 'low', behavior: { eviction_threshold: 0.8, preemption_enabled: true } });
    });

    it('reads a list of policies and multi-document files', () => {
      expect(yamlConfigLayers('- policy_name: a\n  priority: 1\n- policy_name: b\n  priority: 2\n', 'f.yaml')).toEqual([
        {
          source: 'f.yaml',
          value: {
            policies: [
              { policy_name: 'a', priority: 1 },
              { policy_name: 'b', priority: 2 },
            ],
          },
        },
      ]);
      expect(yamlConfigLayers('dry_run: false\n---\npolicy_name: a\npriority: 1\n---\n', 'f.yaml')).toEqual([
        { source: 'f.yaml (document 1)', value: { dry_run: false } },
        { source: 'f.yaml (document 2)', value: { policies: [{ policy_name: 'a', priority: 1 }] } },
      ]);
    });

    it.each([
      [
        'two documents of the policy file',
        { [ContextKey.policyFile]: 'p.yaml' },
        'policy_name: web\npriority: high\n---\npolicy_name: web\npriority: low\n',
        'invalid configuration file p.yaml: document 2: policies.0.policy_name: duplicate policy name (first defined at document 1: policies.0) (got "web")',
      ],
      [
        'one list of the policy file',
        { [ContextKey.policyFile]: 'p.yaml' },
        '- {policy_name: web, priority: high}\n- {policy_name: batch, priority: low}\n- {policy_name: web, priority: low}\n',
        'invalid configuration file p.yaml: policies.2.policy_name: duplicate policy name (first defined at policies.0) (got "web")',
      ],
      [
        'the context object',
        {
          [ContextKey.config]: {
            ...minimal,
            policies: [
              { policy_name: 'web', priority: 'high' },
              { policy_name: 'web', priority: 'low' },
            ],
          },
        },
        '',
        `invalid configuration from context '${ContextKey.config}': policies.1.policy_name: duplicate policy name (first defined at policies.0) (got "web")`,
      ],
    ])('a policy named twice in %s fails synth naming both occurrences', (_n, context, yaml, message) => {
      expect(() => load(context, { readFile: files({ '/proj/p.yaml': yaml }) })).toThrow(message);
    });

    it('a later source still replaces an earlier policy of the same name (layering)', () => {
      const loaded = load(
        { [ContextKey.config]: minimal, [ContextKey.policyFile]: 'p.yaml' },
        { readFile: files({ '/proj/p.yaml': 'policy_name: web\npriority: low\n' }) },
      );
      expect(loaded.config.policies.map((p) => [p.policy_name, p.priority])).toEqual([['web', 'low']]);
    });

    it('names the file, line and column of a YAML syntax error', () => {
      const run = () => yamlConfigLayers('policies:\n  - policy_name: a\n    priority: [1, 2\n', 'bad.yaml');
      expect(run).toThrow(ConfigFileError);
      expect(run).toThrow(/^bad\.yaml: invalid YAML at line \d+, column \d+: /);
    });

    it('rejects a document that is neither a configuration, a policy nor a list', () => {
      expect(() => yamlConfigLayers('42\n', 'n.yaml')).toThrow(/n\.yaml: document 1 is 42; expected a configuration mapping, a policy or a list of policies/);
    });

    it('names the path when the file cannot be read', () => {
      expect(() => load({ [ContextKey.policyFile]: 'missing.yaml' }, { readFile: files({}) })).toThrow(
        /missing\.yaml: cannot read the policy file given with -c policy=missing\.yaml \(ENOENT/,
      );
    });

    it('names the source file when the configuration it gives is invalid', () => {
      const yaml = 'groups: []\npolicies:\n  - policy_name: web\n    priority: high\n';
      expect(() => load({ [ContextKey.policyFile]: 's.yaml' }, { readFile: files({ '/proj/s.yaml': yaml }) })).toThrow(
        /invalid spotwise configuration \(from s\.yaml\): groups: name at least one group, or set group_tag \(got \[\]\)/,
      );
    });
  });

  describe('the demo (-c demo=true)', () => {
    it('manages the demo groups, prefixed with the stack name, acting for real', () => {
      const loaded = load({ [ContextKey.demo]: 'true' }, { stackName: 'Lab' });
      const names = demoGroupNames('Lab');
      expect(loaded.demo).toBe(true);
      expect(loaded.config.groups.map((g) => [g.name, g.standby])).toEqual([[names.primary, names.standby]]);
      expect(loaded.config.standby_groups[0]?.warm_pool).toEqual({ min_size: 1, max_prepared_capacity: 2, pool_state: 'Stopped', reuse_on_scale_in: true });
      expect(loaded.config.dry_run).toBe(false);
    });

    it('lets -c dry_run=true and a user configuration override the demo', () => {
      const loaded = load({ [ContextKey.demo]: true, [ContextKey.dryRun]: 'true', [ContextKey.config]: minimal });
      expect(loaded.config.dry_run).toBe(true);
      expect(loaded.config.groups.map((g) => g.name)).toEqual([demoGroupNames('Spotwise').primary, 'web-spot']);
      expect(loaded.sources).toEqual(['the demo fleet (-c demo=true)', `context '${ContextKey.config}'`, 'context overrides']);
    });
  });

  it('applies the alarm_email override, validated like the file field', () => {
    expect(load({ [ContextKey.config]: minimal, [ContextKey.alarmEmail]: 'ops@example.com' }).config.alarm_email).toBe('ops@example.com');
    expect(() => load({ [ContextKey.config]: minimal, [ContextKey.alarmEmail]: 'not-an-address' })).toThrow(/alarm_email: .*\(got "not-an-address"\)/);
  });

  it('reads the lifecycle_hooks opt-in', () => {
    expect(load({ [ContextKey.config]: minimal, [ContextKey.lifecycleHooks]: 'true' }).lifecycleHooksOnExistingGroups).toBe(true);
  });

  it('lets a dry_run override, given as a boolean or as CLI text, win over every source', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (base, override, asText) => {
        const loaded = load({ [ContextKey.config]: { ...minimal, dry_run: base }, [ContextKey.dryRun]: asText ? String(override) : override });
        expect(loaded.config.dry_run).toBe(override);
      }),
    );
  });
});

describe('readBooleanContext', () => {
  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
    [undefined, 'fallback'],
  ])('reads %s', (value, expected) => {
    expect(readBooleanContext(() => value, ContextKey.demo, expected === 'fallback' ? true : false)).toBe(expected === 'fallback' ? true : expected);
  });

  it.each(['yes', 1, 'TRUE', ''])('rejects %j naming the key and the value', (value) => {
    expect(() => readBooleanContext(() => value, ContextKey.demo, false)).toThrow(
      `invalid CDK context: demo: expected true or false (got ${JSON.stringify(value)})`,
    );
  });
});
