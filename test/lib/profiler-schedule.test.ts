import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TARGETS_PER_RULE, ProfilerSchedule } from '../../lib/profiler-schedule';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

const build = (groupNames: readonly string[], rateMinutes = 5) => {
  const stack = bareStack();
  new ProfilerSchedule(stack, 'Schedule', { profiler: dummyFunction(stack, 'Profiler'), deadLetterQueue: dummyQueue(stack, 'Dlq'), groupNames, rateMinutes });
  const template = Template.fromStack(stack);
  return { template, fnId: logicalIdsOf(template, 'AWS::Lambda::Function')[0] as string, dlqId: logicalIdsOf(template, 'AWS::SQS::Queue')[0] as string };
};

/** Each target's input, parsed back from the template (an EventField becomes a `<name>` placeholder, quoted here). */
const tickInputs = (template: Template): { rule: string; input: Record<string, unknown>; target: Record<string, unknown> }[] =>
  Object.entries(template.findResources('AWS::Events::Rule')).flatMap(([rule, r]) =>
    (r.Properties.Targets as Record<string, unknown>[]).map((target) => {
      const transformer = target.InputTransformer as { InputTemplate: string; InputPathsMap: Record<string, string> };
      const input = JSON.parse(transformer.InputTemplate.replace(/<(\w+)>/g, '"<$1>"')) as Record<string, unknown>;
      return { rule, input, target: { ...target, paths: transformer.InputPathsMap } };
    }),
  );

describe('ProfilerSchedule', () => {
  it('gives each group its own target and input, so each tick invokes the profiler once per group', () => {
    const { template, fnId, dlqId } = build(['web-spot', 'batch-spot']);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    const ticks = tickInputs(template);
    expect(ticks.map((t) => t.input)).toEqual([
      { source: 'spotwise', 'detail-type': 'Profile Tick', time: '<time>', detail: { groupName: 'web-spot' } },
      { source: 'spotwise', 'detail-type': 'Profile Tick', time: '<time>', detail: { groupName: 'batch-spot' } },
    ]);
    for (const { target } of ticks) {
      expect(target).toMatchObject({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        // A tick older than the cadence is superseded by the next one.
        RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 2 },
        paths: { time: '$.time' },
      });
      // No event id in the input: the rule's targets share one id; the handler derives one per group.
      expect(JSON.stringify(target)).not.toContain('$.id');
    }
  });

  it("never gives a retry more time than one tick, but at least EventBridge's 60 s minimum", () => {
    const { template } = build(['g'], 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [{ RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 } }],
    });
  });

  it('packs at most five targets per rule and covers every group exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 }), (n) => {
        const names = Array.from({ length: n }, (_, i) => `group-${i}`);
        const { template } = build(names);
        const rules = template.findResources('AWS::Events::Rule');
        expect(Object.keys(rules)).toHaveLength(Math.ceil(n / MAX_TARGETS_PER_RULE));
        for (const r of Object.values(rules)) expect((r.Properties.Targets as unknown[]).length).toBeLessThanOrEqual(MAX_TARGETS_PER_RULE);
        expect(tickInputs(template).map((t) => (t.input.detail as { groupName: string }).groupName)).toEqual(names);
      }),
      { numRuns: 8 },
    );
  });

  it.each([
    [[], 5, 'ProfilerSchedule Test/Schedule: groupNames must name at least one group (got [])'],
    [['a', 'b', 'a'], 5, 'ProfilerSchedule Test/Schedule: groupNames must be unique (got "a" twice)'],
    [['a'], 0, 'ProfilerSchedule Test/Schedule: rateMinutes must be an integer between 1 and 60 (got 0)'],
    [['a'], 2.5, 'ProfilerSchedule Test/Schedule: rateMinutes must be an integer between 1 and 60 (got 2.5)'],
    [['a'], 61, 'ProfilerSchedule Test/Schedule: rateMinutes must be an integer between 1 and 60 (got 61)'],
  ])('refuses groupNames %j at rate %d', (groupNames, rateMinutes, message) => {
    expect(() => build(groupNames, rateMinutes)).toThrow(message);
  });
});
