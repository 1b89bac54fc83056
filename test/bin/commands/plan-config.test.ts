import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../../bin/commands/plan';

describe('spotwise plan --config reads a file as synth does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spotwise-plan-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const groups = 'groups:\n  - {name: web-spot, policy: web, capacity: {vcpu: 8, memory_gib: 32}}\n';

  it('merges the documents of a YAML file (a configuration, then a seed-style policy)', () => {
    const managed = readConfig(file('ok.yaml', `${groups}---\npolicy_name: web\npriority: high\n`), {});
    expect(managed.groups.get('web-spot' as never)?.policy).toMatchObject({ policyName: 'web', priority: 90 });
  });

  it('reads a JSON file through the same reader', () => {
    const managed = readConfig(
      file(
        'ok.json',
        JSON.stringify({
          groups: [{ name: 'web-spot', policy: 'web', capacity: { vcpu: 8, memory_gib: 32 } }],
          policies: [{ policy_name: 'web', priority: 'low' }],
        }),
      ),
      {},
    );
    expect(managed.groups.get('web-spot' as never)?.policy.priority).toBe(10);
  });

  it('refuses a policy named twice, naming both occurrences', () => {
    const path = file('dup.yaml', `${groups}policies:\n  - {policy_name: web, priority: high}\n  - {policy_name: web, priority: low}\n`);
    expect(() => readConfig(path, {})).toThrow(
      `invalid configuration file ${path}: policies.1.policy_name: duplicate policy name (first defined at policies.0) (got "web")`,
    );
  });
});
