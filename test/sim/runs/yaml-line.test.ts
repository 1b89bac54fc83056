import { describe, expect, it } from 'vitest';
import { lineOfPath } from '../../../lambda/sim/runs/yaml-line';

const TEXT = `# comment
groups:
  - name: web
    policy: web
    capacity:
      vcpu: -4
      memory_gib: 16
policies:
  - policy_name: web
    priority: high
`;

describe('lineOfPath', () => {
  it.each([
    ['groups.0.capacity.vcpu', 6],
    ['groups.0.policy', 4],
    ['policies.0.priority', 10],
    ['groups.0.capacity.disk_iops', 6],
    ['groups.0.standby', 3],
    ['dry_run', 2],
  ])('%s is on line %i (or its nearest parent is)', (path, line) => {
    expect(lineOfPath(TEXT, path)).toBe(line);
  });

  it('says nothing for text that is not one YAML document', () => {
    expect(lineOfPath('a: [1,\n', 'a')).toBeUndefined();
  });
});
