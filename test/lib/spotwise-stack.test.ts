import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { managedGroupNames } from '../../lib/spotwise-stack';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { logicalIdsOf, synthSpotwise } from './helpers';
import { HANDLER_NAMES } from '../../lib/spotwise-function';
import { spotwiseAlarmCount } from '../../lambda/sim/aws-bill';

/** The template reduced to resource types and their counts: the stack's shape, without ids or hashes. */
const shape = (template: Template): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort());
};

type Template = ReturnType<typeof synthSpotwise>['template'];

/** A configuration of one group (a context configuration replaces spotwise.example.yaml). */
const SMALL_CONFIG = {
  groups: [{ name: 'g', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } }],
  policies: [{ policy_name: 'p', priority: 'medium' }],
};

const retrainerId = (template: Template): string => {
  const ids = logicalIdsOf(template, 'AWS::Lambda::Function').filter((id) => id.startsWith('FunctionsRetrainerFunction'));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

/** The properties of every rule that targets the retrainer. */
const retrainingRules = (template: Template): Record<string, unknown>[] => {
  const retrainer = retrainerId(template);
  return Object.values(template.findResources('AWS::Events::Rule'))
    .map((r) => r.Properties as { Targets?: { Arn: unknown }[] })
    .filter((p) => (p.Targets ?? []).some((t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [retrainer, 'Arn'] })));
};

describe('SpotwiseStack', () => {
  it('has the expected shape for the default configuration (normalised: resource types and counts)', () => {
    expect(shape(synthSpotwise().template)).toEqual({
      'AWS::AutoScaling::ScalingPolicy': 3, // the +1 scale-out policy of each named group
      'AWS::CloudWatch::Alarm': 18, // 2 per function, 4 fleet-wide, 2 per named primary group
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::EventBus': 1,
      // 7 notice rules, the request rule, the retry tick, one profiler tick rule (3 groups), the retraining run
      'AWS::Events::Rule': 11,
      'AWS::IAM::Policy': 6,
      'AWS::IAM::Role': 6, // 5 functions + the scheduler role
      'AWS::Lambda::EventInvokeConfig': 5,
      'AWS::Lambda::Function': 5,
      'AWS::Lambda::LayerVersion': 1, // the AWS SDK, shared by the five functions
      'AWS::Lambda::Permission': 11,
      'AWS::Logs::LogGroup': 5,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SQS::Queue': 5,
      'AWS::SQS::QueuePolicy': 5,
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

  it('runs the retrainer every 24 hours by default, with its dead-letter queue, and lets EventBridge invoke it', () => {
    const { template } = synthSpotwise();
    const retrainer = retrainerId(template);
    expect(retrainingRules(template)).toEqual([
      {
        Description: 'spotwise: retrain the post-restart demand model every 24 h (retrainer)',
        ScheduleExpression: 'rate(24 hours)',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [retrainer, 'Arn'] },
            Id: 'Target0',
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [logicalIdsOf(template, 'AWS::SQS::Queue').find((id) => id.startsWith('FunctionsRetrainerDeadLetters')), 'Arn'] },
            },
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
          },
        ],
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [retrainer, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RetrainingScheduleRun'), 'Arn'] },
    });
  });

  // The simulator bills spotwise's alarms by this count (lambda/sim/aws-bill.ts): it must be the stack's.
  it.each([
    ['the default configuration', undefined, 2],
    ['one group', SMALL_CONFIG, 1],
    ['three groups', { ...SMALL_CONFIG, groups: ['a', 'b', 'c'].map((name) => ({ name, policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } })) }, 3],
  ] as const)('creates as many alarms as the simulator bills it for: %s', (_label, config, groups) => {
    const { template } = synthSpotwise(config === undefined ? {} : { [ContextKey.config]: config });
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(spotwiseAlarmCount(HANDLER_NAMES.length, groups));
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(1);
  });

  it('runs the retrainer every retraining.every_hours and times it out a minute after retraining.budget_seconds', () => {
    const { template } = synthSpotwise({ [ContextKey.config]: { ...SMALL_CONFIG, retraining: { every_hours: 6, budget_seconds: 780 } } });
    expect(retrainingRules(template).map((r) => r.ScheduleExpression)).toEqual(['rate(6 hours)']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^spotwise retrainer: '),
      MemorySize: 1024,
      Timeout: 840,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('schedules no retraining when retraining.enabled is false; the retrainer stays, never invoked', () => {
    const { template } = synthSpotwise({ [ContextKey.config]: { ...SMALL_CONFIG, retraining: { enabled: false } } });
    expect(retrainingRules(template)).toEqual([]);
    const retrainer = retrainerId(template);
    expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { 'Fn::GetAtt': [retrainer, 'Arn'] } } })).toEqual({});
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
