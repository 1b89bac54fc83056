import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Tracing, type IFunction, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AWS_SDK_LAYER_PACKAGES } from './aws-sdk-layer';
import { DeadLetterQueue } from './dead-letter-queue';
import { ESM_REQUIRE_BANNER, LAMBDA_BUNDLE_TARGET, LAMBDA_RUNTIME } from './lambda-runtime';
import { acknowledgeNag } from './nag';

/** The five Lambdas; each is `lambda/handlers/<name>.ts` exporting `handler`. */
export const HANDLER_NAMES = ['profiler', 'notice', 'coordinator', 'executor', 'retrainer'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/**
 * Modules left out of a bundle, per function, beside the AWS SDK (which every function takes from the layer). The tfjs of the
 * profiler and the retrainer (tfjs-core platforms/platform_node.js) calls `require('node-fetch')` only inside `fetch()`, and
 * only when the global `fetch` is missing; Node 18+ has a global fetch and both load their model from memory
 * (tf.io.fromMemory) and the retrainer saves through tf.io.withSaveHandler, never over HTTP. So
 * node-fetch and its URL stack (whatwg-url, tr46's Unicode tables: about 300 KB minified) are never
 * evaluated on the Lambda runtime, and bundling them only adds bytes.
 */
export const EXTERNAL_MODULES: Readonly<Record<HandlerName, readonly string[]>> = {
  profiler: ['node-fetch'],
  notice: [],
  coordinator: [],
  executor: [],
  retrainer: ['node-fetch'],
};

/**
 * esbuild settings of one function's bundle. ESM because the handlers are ES modules (package.json
 * "type": "module", top-level await allowed); the banner gives bundled CommonJS dependencies a `require`.
 * mainFields puts `module` first because @tensorflow/tfjs's `main` is a UMD build esbuild cannot tree-shake.
 *
 * The AWS SDK is not in the bundle: every function imports it from one shared layer (lib/aws-sdk-layer.ts),
 * built at synth from the versions package-lock.json pins. Measured (npm run bench, bundle.*): the SDK was
 * about 1 MB of each 1.4 MB bundle (notice 1,410,066 bytes with it, about 0.43 MB without), so the notice,
 * coordinator and executor bundles now meet their 1 MB target. The bytes did not vanish: the layer (about
 * 1.7 MB, each client whole, every command) loads on every cold start beside the function's code, so a cold
 * start reads about 2.1 MB and init rose by 55–90 ms on the bench machine (same code, SDK bundled or from the
 * layer, 21 interleaved runs each; bundle.*.initMs, bundle.*.withLayerBytes). What the layer buys is one SDK build shared by the functions (uploaded once,
 * not once per function) and function code under a third of its former size.
 *
 * Not the runtime's own SDK. The Lambda guide ("Building Lambda functions with Node.js", Runtime-included SDK
 * versions) says every Node.js runtime includes "a specific minor version of the AWS SDK for JavaScript v3,
 * not the latest", that this version "depends on the runtime version and your AWS Region", and that the way
 * to learn it is to deploy a function that reports it: no published version can be checked at synth. The one
 * documented observation (aws-cdk's integration tests, 2025: nodejs22.x shipped 3.895.0 and lacked commands
 * added in 3.942.0) is far older than the 3.11xx clients the adapters are tested with, and aws-cdk#25492
 * measured higher cold starts with the runtime's SDK (module resolution over many files) than with a bundled
 * one. The layer keeps both properties: the exact tested versions, and one bundled file per package (plus
 * the chunks they share), not the runtime's many files. Lambda resolves ES-module imports from layers
 * (/opt/nodejs/node_modules) before /var/runtime/node_modules (see AWS_SDK_LAYER_MODULES_DIR), so the
 * runtime's copy is never reached for these packages.
 *
 * Exactly AWS_SDK_LAYER_PACKAGES are external, not `@aws-sdk/*`: an SDK module a dependency imports that
 * the layer does not hold stays bundled rather than falling through to the runtime's copy. NodejsFunction
 * uses `externalModules` as given and ignores `bundleAwsSDK` when both are set (aws-lambda-nodejs
 * bundling.js: `externals = props.externalModules ?? defaultExternals`); `bundleAwsSDK: true` only says
 * that no `@aws-sdk/*` wildcard would apply if the list were ever dropped.
 */
export const baseBundling = (target: string, handler: HandlerName) => ({
  format: OutputFormat.ESM,
  target,
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: [...AWS_SDK_LAYER_PACKAGES, ...EXTERNAL_MODULES[handler]],
  banner: ESM_REQUIRE_BANNER,
});

export interface SpotwiseFunctionProps {
  readonly handlerName: HandlerName;
  /** Absolute path of the handler's entry file. */
  readonly entry: string;
  /** Directory holding package-lock.json (esbuild resolves node_modules from it). */
  readonly projectRoot: string;
  /** The stack's one AWS SDK layer (AwsSdkLayer): the bundle imports the SDK from it and fails to load without it. */
  readonly awsSdkLayer: ILayerVersion;
  readonly description: string;
  /** Lambda allows 128..10240 MB. */
  readonly memorySize: number;
  /** V8's old-space limit in MiB (NODE_OPTIONS `--max-old-space-size`): 64 up to three quarters of memorySize. Default: V8's own. */
  readonly heapMiB?: number;
  /** Lambda allows up to 900 s. */
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /** Retries of asynchronous invocations (EventBridge and Scheduler invoke asynchronously): 0..2. */
  readonly retryAttempts: number;
  /** Oldest asynchronous event still worth processing: 60 s .. 6 h. */
  readonly maxEventAge: Duration;
  /**
   * Reserved concurrency: at most this many invocations at once (Lambda throttles the rest; asynchronous events are
   * retried).
   * @default - unreserved
   */
  readonly reservedConcurrency?: number;
  /**
   * CloudWatch Logs retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Extra commands around bundling (the profiler and the retrainer copy the model artifact in afterBundling).
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;
}

/**
 * One spotwise Lambda: NodejsFunction (esbuild, no Docker), arm64, Node 24, the AWS SDK layer, X-Ray active tracing, JSON logs
 * into its own log group with a retention, its own role (no AWS managed policies: the only log permission
 * is writing to its own group), and its own encrypted dead-letter queue for asynchronous failures.
 */
export class SpotwiseFunction extends Construct {
  readonly function: IFunction;
  readonly role: IRole;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly logGroup: LogGroup;
  /** The commands run around bundling (props.commandHooks): what, besides the code, the bundle carries. */
  readonly commandHooks: ICommandHooks | undefined;

  constructor(scope: Construct, id: string, props: SpotwiseFunctionProps) {
    super(scope, id);
    validateFunctionProps(this.node.path, props);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs expire anyway; keeping them after `cdk destroy` would only leave orphans behind.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `spotwise ${props.handlerName} function`,
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));
    this.role = role;
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');

    const fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      layers: [props.awsSdkLayer],
      memorySize: props.memorySize,
      timeout: props.timeout,
      description: props.description,
      role,
      environment: { ...props.environment, NODE_OPTIONS: nodeOptions(props) },
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      bundling: {
        ...baseBundling(LAMBDA_BUNDLE_TARGET, props.handlerName),
        ...(props.commandHooks ? { commandHooks: props.commandHooks } : {}),
      },
    });
    this.function = fn;
    this.commandHooks = props.commandHooks;

    acknowledgeNag(role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) and the EC2/Auto Scaling/CloudWatch describe and read calls do not support resource-level permissions; every mutating action is scoped separately.',
    });
  }
}

/** The functions' NODE_OPTIONS: source maps for stack traces, and the heap limit when one is set. */
export const nodeOptions = (p: Pick<SpotwiseFunctionProps, 'heapMiB'>): string =>
  ['--enable-source-maps', ...(p.heapMiB !== undefined ? [`--max-old-space-size=${p.heapMiB}`] : [])].join(' ');

const validateFunctionProps = (path: string, p: SpotwiseFunctionProps): void => {
  const fail = (what: string): never => {
    throw new Error(`SpotwiseFunction ${path}: ${what}`);
  };
  if (!Number.isInteger(p.memorySize) || p.memorySize < 128 || p.memorySize > 10_240)
    fail(`memorySize must be an integer between 128 and 10240 MB (got ${p.memorySize})`);
  if (p.heapMiB !== undefined && !(Number.isInteger(p.heapMiB) && p.heapMiB >= 64 && p.heapMiB <= p.memorySize * 0.75)) {
    fail(`heapMiB must be an integer between 64 and three quarters of memorySize ${p.memorySize} MB (got ${p.heapMiB})`);
  }
  const timeout = p.timeout.toSeconds();
  if (timeout < 1 || timeout > 900) fail(`timeout must be between 1 and 900 seconds (got ${timeout})`);
  if (!Number.isInteger(p.retryAttempts) || p.retryAttempts < 0 || p.retryAttempts > 2) fail(`retryAttempts must be 0, 1 or 2 (got ${p.retryAttempts})`);
  const age = p.maxEventAge.toSeconds();
  if (age < 60 || age > 6 * 3600) fail(`maxEventAge must be between 60 seconds and 6 hours (got ${age} seconds)`);
};
