import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsSdkLayerDescription, pinnedAwsSdkVersions } from '../../lib/aws-sdk-layer';
import { ContextKey } from '../../lib/config/context-keys';
import { Duration } from 'aws-cdk-lib';
import {
  MAX_CONFIG_ENV_BYTES,
  MODEL_HANDLERS,
  PROFILER_HEAP_MIB,
  RETRAINER_OVERHEAD_SECONDS,
  SpotwiseFunctions,
  functionSettings,
  modelCopyCommands,
} from '../../lib/functions';
import { RequestBus } from '../../lib/request-bus';
import { StateTable } from '../../lib/state-table';
import { HANDLER_NAMES, type HandlerName } from '../../lib/spotwise-function';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { bareStack, synthSpotwise, type Synthesized } from './helpers';

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const functionOf = (template: Template, fn: HandlerName): Record<string, unknown> => {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(`Functions${capitalise(fn)}Function`));
  expect(found).toHaveLength(1);
  return found[0]?.[1].Properties as Record<string, unknown>;
};
const idOf = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

describe('the five functions (spotwise.example.yaml, -c dry_run=false, alarm_email set)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthSpotwise({ [ContextKey.dryRun]: 'false', [ContextKey.alarmEmail]: 'ops@example.com' });
  });

  const SETTINGS: Record<HandlerName, { memory: number; timeout: number; retries: number; maxAge: number }> = {
    profiler: { memory: 1024, timeout: 180, retries: 1, maxAge: 300 },
    notice: { memory: 512, timeout: 60, retries: 2, maxAge: 900 },
    coordinator: { memory: 512, timeout: 60, retries: 2, maxAge: 3600 },
    executor: { memory: 256, timeout: 60, retries: 2, maxAge: 900 },
    // retraining.budget_seconds defaults to 300; the timeout adds a minute.
    retrainer: { memory: 1024, timeout: 360, retries: 0, maxAge: 3600 },
  };

  it.each(HANDLER_NAMES)('%s: Node 24 on arm64, active tracing, JSON logs in its own log group, its own DLQ', (fn) => {
    const { template } = s;
    expect(functionOf(template, fn)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: SETTINGS[fn].memory,
      Timeout: SETTINGS[fn].timeout,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: idOf(template, 'AWS::Logs::LogGroup', `Functions${capitalise(fn)}Logs`) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [idOf(template, 'AWS::SQS::Queue', `Functions${capitalise(fn)}DeadLetters`), 'Arn'] } },
      Role: { 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', `Functions${capitalise(fn)}Role`), 'Arn'] },
    });
    expect(functionOf(template, fn).FunctionName).toBeUndefined();
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 30 },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf(template, 'AWS::Lambda::Function', `Functions${capitalise(fn)}Function`) },
      MaximumRetryAttempts: SETTINGS[fn].retries,
      MaximumEventAgeInSeconds: SETTINGS[fn].maxAge,
      Qualifier: '$LATEST',
    });
  });

  it('runs the coordinator (admissions on the ledger the last one left) and the retrainer (one training run at a time) one invocation at a time; the others unreserved', () => {
    const { template } = s;
    const serial: HandlerName[] = ['coordinator', 'retrainer'];
    for (const fn of serial) expect(functionOf(template, fn).ReservedConcurrentExecutions, fn).toBe(1);
    for (const fn of HANDLER_NAMES.filter((f) => !serial.includes(f))) expect(functionOf(template, fn).ReservedConcurrentExecutions, fn).toBeUndefined();
  });

  it('gives the five functions one AWS SDK layer, for Node 24 on arm64, pinned by package-lock.json', () => {
    const { template } = s;
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
      Description: awsSdkLayerDescription(pinnedAwsSdkVersions()),
    });
    const layer = idOf(template, 'AWS::Lambda::LayerVersion', 'FunctionsAwsSdk');
    for (const fn of HANDLER_NAMES) expect(functionOf(template, fn).Layers, fn).toEqual([{ Ref: layer }]);
    expect(s.stack.functions.awsSdkLayer.packages).toEqual(pinnedAwsSdkVersions());
  });

  it('gives every function the shared environment, named by lambda/contracts/env.ts', () => {
    const { template } = s;
    const table = idOf(template, 'AWS::DynamoDB::Table', 'State');
    const bus = idOf(template, 'AWS::Events::EventBus', 'EventsBus');
    for (const fn of HANDLER_NAMES) {
      const vars = (functionOf(template, fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars).toMatchObject({
        SPOTWISE_TABLE_NAME: { Ref: table },
        SPOTWISE_EVENT_BUS_NAME: { Ref: bus },
        SPOTWISE_DRY_RUN: 'false',
        POWERTOOLS_SERVICE_NAME: 'spotwise',
        POWERTOOLS_METRICS_NAMESPACE: 'Spotwise',
        // The profiler's heap is capped below what V8 would take from its 1,024 MB (lib/functions.ts PROFILER_HEAP_MIB).
        NODE_OPTIONS: fn === 'profiler' ? `--enable-source-maps --max-old-space-size=${PROFILER_HEAP_MIB}` : '--enable-source-maps',
        SPOTWISE_CONFIG: expect.any(String),
      });
    }
  });

  it('passes the validated configuration without alarm_email, and it validates to the same configuration at cold start', () => {
    const vars = (functionOf(s.template, 'notice').Environment as { Variables: Record<string, string> }).Variables;
    const json = JSON.parse(vars.SPOTWISE_CONFIG as string) as Record<string, unknown>;
    expect(json.alarm_email).toBeUndefined();
    expect(json.dry_run).toBe(false);
    expect(s.stack.config.alarm_email).toBe('ops@example.com');
    const { alarm_email: _alarmEmail, ...synthConfig } = s.stack.config;
    expect(parseSpotwiseConfig(json)).toEqual(synthConfig);
    expect(Buffer.byteLength(vars.SPOTWISE_CONFIG as string)).toBeLessThanOrEqual(MAX_CONFIG_ENV_BYTES);
  });

  it('bundles the model into the profiler and the retrainer only, and tells them where', () => {
    expect(s.stack.functions.modelBundled).toBe(true);
    expect(MODEL_HANDLERS).toEqual(['profiler', 'retrainer']);
    const env = (fn: HandlerName) => (functionOf(s.template, fn).Environment as { Variables: Record<string, unknown> }).Variables;
    for (const fn of ['profiler', 'retrainer'] as const) {
      expect(env(fn).SPOTWISE_MODEL_DIR, fn).toBe('/var/task/model');
      // The afterBundling hook copies the artifact to where SPOTWISE_MODEL_DIR points (model/ beside index.mjs).
      expect(s.stack.functions.byName[fn].commandHooks?.afterBundling('/in', '/out'), fn).toEqual(
        modelCopyCommands('/in', '/out', 'models/post-restart-demand'),
      );
    }
    for (const fn of ['notice', 'coordinator', 'executor'] as const) {
      expect(env(fn).SPOTWISE_MODEL_DIR, fn).toBeUndefined();
      expect(s.stack.functions.byName[fn].commandHooks, fn).toBeUndefined();
    }
  });

  it('gives the scheduler names to the coordinator only', () => {
    for (const fn of HANDLER_NAMES) {
      const vars = (functionOf(s.template, fn).Environment as { Variables: Record<string, unknown> }).Variables;
      const names = ['SPOTWISE_SCHEDULER_GROUP', 'SPOTWISE_SCHEDULER_ROLE_ARN', 'SPOTWISE_EXECUTOR_ARN', 'SPOTWISE_SCHEDULER_DLQ_ARN'].filter((n) => n in vars);
      expect(names).toEqual(
        fn === 'coordinator' ? ['SPOTWISE_SCHEDULER_GROUP', 'SPOTWISE_SCHEDULER_ROLE_ARN', 'SPOTWISE_EXECUTOR_ARN', 'SPOTWISE_SCHEDULER_DLQ_ARN'] : [],
      );
    }
  });
});

describe('SpotwiseFunctions', () => {
  const input = {
    groups: [{ name: 'g', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } }],
    policies: [{ policy_name: 'p', priority: 1 }],
  };
  const config = parseSpotwiseConfig(input);
  const build = (configJson: string, modelDir?: string) => {
    const stack = bareStack();
    const fns = new SpotwiseFunctions(stack, 'Functions', {
      table: new StateTable(stack, 'State').table,
      bus: new RequestBus(stack, 'Events').bus,
      config,
      configJson,
      groupNames: ['g'],
      ...(modelDir !== undefined ? { modelDir } : {}),
    });
    return { stack, fns };
  };

  it('refuses a configuration too large for the Lambda environment, saying why and what to do', () => {
    const big = JSON.stringify({ padding: 'x'.repeat(MAX_CONFIG_ENV_BYTES) });
    expect(() => build(big)).toThrow(
      `SpotwiseFunctions: the configuration passed to the Lambdas (SPOTWISE_CONFIG) is ${Buffer.byteLength(big)} bytes; Lambda allows 4 KB of environment in total, so it must stay under ${MAX_CONFIG_ENV_BYTES} bytes.`,
    );
  });

  it('without a model artifact, bundles none, sets no model directory and warns at synth', () => {
    const { stack, fns } = build('{}', 'models/does-not-exist');
    expect(fns.modelBundled).toBe(false);
    const template = Template.fromStack(stack);
    for (const fn of HANDLER_NAMES) {
      expect((functionOf(template, fn).Environment as { Variables: Record<string, unknown> }).Variables.SPOTWISE_MODEL_DIR, fn).toBeUndefined();
      expect(fns.byName[fn].commandHooks, fn).toBeUndefined();
    }
    Annotations.fromStack(stack).hasWarning('/Test/Functions', Match.stringLikeRegexp('No model artifact in models/does-not-exist .*statistical fallback'));
  });

  it('times the retrainer out a minute after its fine-tuning budget, within Lambda 900 s at the largest budget', () => {
    const withBudget = (budget_seconds: number) =>
      functionSettings(parseSpotwiseConfig({ ...input, retraining: { budget_seconds } })).retrainer.timeout.toSeconds();
    expect(RETRAINER_OVERHEAD_SECONDS).toBe(60);
    expect(withBudget(10)).toBe(70);
    expect(withBudget(300)).toBe(360);
    expect(withBudget(780)).toBe(840);
    expect(functionSettings(config).retrainer).toEqual({
      description: expect.stringMatching(/^spotwise retrainer: /),
      memorySize: 1024,
      timeout: Duration.seconds(360),
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
      reservedConcurrency: 1,
    });
  });

  it('copies exactly the three model files next to the bundle', () => {
    expect(modelCopyCommands('/in', '/out', 'models/m')).toEqual([
      'mkdir -p "/out/model"',
      'cp "/in/models/m/model.json" "/out/model/model.json"',
      'cp "/in/models/m/weights.bin" "/out/model/weights.bin"',
      'cp "/in/models/m/metadata.json" "/out/model/metadata.json"',
    ]);
  });
});
