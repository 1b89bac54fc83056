import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsSdkLayerDescription, pinnedAwsSdkVersions } from '../../lib/aws-sdk-layer';
import { ContextKey } from '../../lib/config/context-keys';
import { MAX_CONFIG_ENV_BYTES, PROFILER_HEAP_MIB, SpotwiseFunctions, modelCopyCommands } from '../../lib/functions';
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

describe('the four functions (spotwise.example.yaml, -c dry_run=false, alarm_email set)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthSpotwise({ [ContextKey.dryRun]: 'false', [ContextKey.alarmEmail]: 'ops@example.com' });
  });

  const SETTINGS: Record<HandlerName, { memory: number; timeout: number; retries: number; maxAge: number }> = {
    profiler: { memory: 1024, timeout: 180, retries: 1, maxAge: 300 },
    notice: { memory: 512, timeout: 60, retries: 2, maxAge: 900 },
    coordinator: { memory: 512, timeout: 60, retries: 2, maxAge: 3600 },
    executor: { memory: 256, timeout: 60, retries: 2, maxAge: 900 },
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

  it('runs the coordinator one invocation at a time (reserved concurrency 1: admissions on the ledger the last one left); the others unreserved', () => {
    const { template } = s;
    expect(functionOf(template, 'coordinator').ReservedConcurrentExecutions).toBe(1);
    for (const fn of HANDLER_NAMES.filter((f) => f !== 'coordinator')) expect(functionOf(template, fn).ReservedConcurrentExecutions, fn).toBeUndefined();
  });

  it('gives the four functions one AWS SDK layer, for Node 24 on arm64, pinned by package-lock.json', () => {
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
        SPOTWISE_MANAGED_TAG_KEY: 'spotwise:managed',
        SPOTWISE_MANAGED_TAG_VALUE: 'true',
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

  it('bundles the model into the profiler only, and tells it where', () => {
    expect(s.stack.functions.modelBundled).toBe(true);
    const env = (fn: HandlerName) => (functionOf(s.template, fn).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env('profiler').SPOTWISE_MODEL_DIR).toBe('/var/task/model');
    for (const fn of ['notice', 'coordinator', 'executor'] as const) expect(env(fn).SPOTWISE_MODEL_DIR).toBeUndefined();
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
  const config = parseSpotwiseConfig({
    groups: [{ name: 'g', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } }],
    policies: [{ policy_name: 'p', priority: 1 }],
  });
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
    Annotations.fromStack(stack).hasWarning('/Test/Functions', Match.stringLikeRegexp('No model artifact in models/does-not-exist .*statistical fallback'));
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
