import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { parseWith, ValidationError } from '../../lambda/contracts/validation';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';

const schema = z.object({ a: z.object({ b: z.number().min(0) }), name: z.string() });

describe('parseWith', () => {
  it.each([
    [{ a: { b: -1 }, name: 'x' }, 'a.b', '(got -1)'],
    [{ a: { b: Number.NaN }, name: 'x' }, 'a.b', '(got NaN)'],
    [{ a: { b: 1 }, name: 7 }, 'name', '(got 7)'],
    [{ a: { b: 1 } }, 'name', '(got nothing)'],
    [{ a: { b: 1 }, name: 'x'.repeat(200) }, 'name', '...'],
  ])('names the field and the value for %j', (input, path, valueText) => {
    const run = () => parseWith(schema.extend({ name: z.string().max(10) }), 'thing', input);
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(path);
    expect(run).toThrow(valueText);
  });

  it('returns the parsed value when valid', () => {
    expect(parseWith(schema, 'thing', { a: { b: 2 }, name: 'n' })).toEqual({ a: { b: 2 }, name: 'n' });
  });
});

describe('parseSpotwiseConfig', () => {
  const valid = {
    groups: [{ name: 'web', policy: 'web', capacity: { vcpu: 64, memory_gib: 256 }, standby: 'web-standby' }],
    standby_groups: [{ name: 'web-standby' }],
    policies: [{ policy_name: 'web', priority: 'high' }],
  };

  it('fills documented defaults', () => {
    const cfg = parseSpotwiseConfig(valid);
    expect(cfg.dry_run).toBe(true);
    expect(cfg.profiler).toEqual({ rate_minutes: 5, metrics_every_minutes: 20, window_minutes: 60, half_life_hours: 24 });
    expect(cfg.groups[0]?.capacity).toEqual({ vcpu: 64, memory_gib: 256, network_mbps: 100_000, disk_iops: 1_000_000 });
    expect(cfg.standby_groups[0]?.warm_pool.pool_state).toBe('Stopped');
  });

  it.each([
    [{ ...valid, groups: [{ ...valid.groups[0], policy: 'nope' }] }, 'groups.0.policy: no policy named "nope"'],
    [{ ...valid, groups: [{ ...valid.groups[0], standby: 'other' }] }, 'groups.0.standby'],
    [{ ...valid, groups: [] }, 'groups: name at least one group'],
    [{ ...valid, dry_run: 'yes' }, 'dry_run'],
    [{ ...valid, policies: [{ policy_name: 'web', priority: 'urgent' }] }, 'policies.0.priority'],
    [{ ...valid, surprise: 1 }, 'surprise'],
    [{ ...valid, alarm_email: 'not-an-email' }, 'alarm_email'],
    [{ ...valid, profiler: { metrics_every_minutes: 60, window_minutes: 60 } }, 'profiler.metrics_every_minutes: must be at most window_minutes - 3'],
  ])('rejects an invalid configuration naming the field (%#)', (input, text) => {
    expect(() => parseSpotwiseConfig(input)).toThrow(text);
  });
});
