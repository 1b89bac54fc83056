import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { managedGroupNames } from '../../lib/spotwise-stack';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { synthSpotwise } from './helpers';

/** The template reduced to resource types and their counts: the stack's shape, without ids or hashes. */
const shape = (template: ReturnType<typeof synthSpotwise>['template']): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort());
};

describe('SpotwiseStack', () => {
  it('has the expected shape for the default configuration (normalised: resource types and counts)', () => {
    expect(shape(synthSpotwise().template)).toEqual({
      'AWS::AutoScaling::ScalingPolicy': 3, // the +1 scale-out policy of each named group
      'AWS::CloudWatch::Alarm': 16, // 2 per function, 4 fleet-wide, 2 per named primary group
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Rule': 10, // 7 notice rules, the request rule, the retry tick, one profiler tick rule (3 groups)
      'AWS::IAM::Policy': 5,
      'AWS::IAM::Role': 5, // 4 functions + the scheduler role
      'AWS::Lambda::EventInvokeConfig': 4,
      'AWS::Lambda::Function': 4,
      'AWS::Lambda::LayerVersion': 1, // the AWS SDK, shared by the four functions
      'AWS::Lambda::Permission': 10,
      'AWS::Logs::LogGroup': 4,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SQS::Queue': 4,
      'AWS::SQS::QueuePolicy': 4,
      'AWS::Scheduler::ScheduleGroup': 1,
    });
  });

  it('outputs the request bus, the alarm topic, the dashboard, the hook names and whether it is in dry-run', () => {
    const { template } = synthSpotwise();
    template.hasOutput('RequestBusName', { Value: { Ref: Match.stringLikeRegexp('^EventsBus') } });
    template.hasOutput('StateTableName', { Value: { Ref: Match.stringLikeRegexp('^StateTable') } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
    template.hasOutput('DashboardName', { Value: { Ref: Match.stringLikeRegexp('^Dashboard') } });
    template.hasOutput('LifecycleHookNames', { Value: 'spotwise-launch,spotwise-terminate' });
    template.hasOutput('DryRun', { Value: 'true' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Spotwise' });
  });

  it('adds hooks to existing groups only when asked and active, through the custom resource', () => {
    const dry = synthSpotwise({ [ContextKey.lifecycleHooks]: 'true' });
    expect(dry.template.findResources('Custom::AWS')).toEqual({});
    Annotations.fromStack(dry.stack).hasWarning('/Spotwise', Match.stringLikeRegexp('lifecycle_hooks=true is ignored in dry-run'));
    const active = synthSpotwise({ [ContextKey.lifecycleHooks]: 'true', [ContextKey.dryRun]: 'false' }).template;
    const groups = Object.values(active.findResources('Custom::AWS')).map(
      (r) => (JSON.parse(r.Properties.Create as string) as { parameters: { AutoScalingGroupName: string } }).parameters.AutoScalingGroupName,
    );
    expect(groups).toEqual(['web-spot', 'web-spot', 'batch-spot', 'batch-spot', 'web-standby', 'web-standby']);
  });

  it('never adds hooks twice to the demo groups, which carry their own', () => {
    const { template } = synthSpotwise({ [ContextKey.demo]: 'true', [ContextKey.lifecycleHooks]: 'true' });
    expect(template.findResources('Custom::AWS')).toEqual({});
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 4);
  });

  it('ticks the profiler once per named group, primary and standby', () => {
    const { template } = synthSpotwise();
    const ticks = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression === 'rate(5 minutes)');
    const groups = ticks.flatMap((r) =>
      (r.Properties.Targets as { InputTransformer: { InputTemplate: string } }[]).map(
        (t) => /"groupName":"([^"]+)"/.exec(t.InputTransformer.InputTemplate)?.[1],
      ),
    );
    expect(groups).toEqual(['web-spot', 'batch-spot', 'web-standby']);
  });

  it('warns at synth that tag-selected groups are profiled only when named', () => {
    const config = { group_tag: { key: 'team', value: 'web' }, policies: [{ policy_name: 'p', priority: 'medium' }] };
    const { stack, template } = synthSpotwise({ [ContextKey.config]: config });
    Annotations.fromStack(stack).hasWarning('/Spotwise', Match.stringLikeRegexp('the profiler schedule ticks only the groups named in `groups`'));
    // No named group: no profiler tick, no per-group alarm.
    expect(Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression === 'rate(5 minutes)')).toEqual([]);
  });

  it('refuses a demo whose primary group was redefined without its standby', () => {
    const config = { groups: [{ name: 'Spotwise-demo-primary', policy: 'demo', capacity: { vcpu: 1, memory_gib: 1 } }] };
    expect(() => synthSpotwise({ [ContextKey.demo]: 'true', [ContextKey.config]: config })).toThrow(
      'SpotwiseStack: the demo needs its groups Spotwise-demo-primary (with standby Spotwise-demo-standby) in the configuration (got groups ["Spotwise-demo-primary"])',
    );
  });

  it('lists primary and standby groups as managed by name', () => {
    const config = parseSpotwiseConfig({
      groups: [{ name: 'a', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 }, standby: 's' }],
      standby_groups: [{ name: 's' }],
      policies: [{ policy_name: 'p', priority: 1 }],
    });
    expect(managedGroupNames(config)).toEqual(['a', 's']);
  });
});
