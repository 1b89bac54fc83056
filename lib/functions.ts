import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Annotations, Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SpotwiseConfig } from '../lambda/contracts/config';
import { Env } from '../lambda/contracts/env';
import { METRICS_NAMESPACE } from '../lambda/contracts/metrics';
import { AwsSdkLayer } from './aws-sdk-layer';
import { FUNCTION_ACCESS, grantFunctionAccess } from './permissions';
import { PROJECT_ROOT } from './project-root';
import { SpotwiseFunction, type HandlerName } from './spotwise-function';

/**
 * POWERTOOLS_SERVICE_NAME of every function. One service for all of them, because Powertools adds it as the
 * `service` dimension of every metric: the dashboard and alarms then address one metric per name, whichever
 * function emitted it.
 */
export const SERVICE_NAME = 'spotwise';

/** Where the profiler and the retrainer find the model inside their bundles (/var/task is LAMBDA_TASK_ROOT). */
export const BUNDLED_MODEL_DIR = '/var/task/model';
/** The model artifact the profiler and the retrainer bundle by default (written by `npm run train`). */
export const DEFAULT_MODEL_DIR = 'models/post-restart-demand';
/** Files of a tfjs artifact saved by spotwise's trainer (tf.io.withSaveHandler). */
export const MODEL_FILES = ['model.json', 'weights.bin', 'metadata.json'] as const;

/**
 * The functions that bundle tfjs and the model artifact: the profiler forecasts with it when the table holds no
 * retrained model, and the retrainer fine-tunes from it when the table holds none yet. The other entries never import
 * the tfjs adapters, so esbuild leaves tfjs out of their bundles.
 */
export const MODEL_HANDLERS: readonly HandlerName[] = ['profiler', 'retrainer'];

/**
 * Lambda allows 4 KB for all environment variables of a function together. The configuration gets what the
 * other variables (names, ARNs resolved at deploy time) leave: about 1 KB is kept for them.
 */
export const MAX_CONFIG_ENV_BYTES = 3072;

/** Memory, timeout and asynchronous delivery of each function, and why. */
export interface FunctionSettings {
  readonly description: string;
  readonly memorySize: number;
  /**
   * V8's old-space limit (`--max-old-space-size`, MiB) when it should be below what V8 picks from the memory
   * size: V8 then collects before the heap grows into memory the function does not need.
   */
  readonly heapMiB?: number;
  readonly timeout: Duration;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** Reserved concurrency, when the function must not run more than this many invocations at once. */
  readonly reservedConcurrency?: number;
}

/** The profiler's V8 old-space limit (MiB): see functionSettings. */
export const PROFILER_HEAP_MIB = 384;

/**
 * What the retrainer's timeout adds to the fine-tuning budget (retraining.budget_seconds): reading the cycles, loading
 * the current model, scoring both models on the held-back cycles and storing the result. The configuration caps the
 * budget at 780 s, so the timeout stays within Lambda's 900 s.
 */
export const RETRAINER_OVERHEAD_SECONDS = 60;

export const functionSettings = (config: SpotwiseConfig): Readonly<Record<HandlerName, FunctionSettings>> => ({
  profiler: {
    description: 'spotwise profiler: one managed group per invocation; metrics -> profiles -> forecasts -> staging',
    // tfjs inference over a whole group in one batch, and GetMetricData results for up to ~1,000 instances.
    memorySize: 1024,
    // The memory size buys CPU (Lambda gives CPU in proportion to it: a 10,000-instance tick runs ~11 s on one
    // vCPU-equivalent); the heap needs far less. Its live size peaks near 100 MiB at 10,000 instances (bench:
    // profiler-memory), but V8 collects lazily under a 1,024 MB limit and the process grew to ~630 MiB. Capped
    // here, the tick stays under 512 MiB (bench: profiler.peakMiB.10000, run with this same cap).
    heapMiB: PROFILER_HEAP_MIB,
    // Must finish well inside one tick so two ticks of a group never overlap.
    // (cadence - 30 s, kept within 60..180 s: at a 1-minute cadence a slow tick may overlap the next one).
    timeout: Duration.seconds(Math.min(180, Math.max(60, config.profiler.rate_minutes * 60 - 30))),
    retryAttempts: 1,
    // A tick older than the cadence is superseded by the next one.
    maxEventAge: Duration.seconds(Math.max(60, config.profiler.rate_minutes * 60)),
  },
  notice: {
    description: 'spotwise notice handler: spot warnings, rebalance recommendations, state changes, lifecycle actions',
    memorySize: 512,
    // The spot warning gives 120 s; a handler still running after 60 s has missed its chance anyway.
    timeout: Duration.seconds(60),
    retryAttempts: 2,
    // Lifecycle actions wait up to the hook's heartbeat timeout; later than that the event is moot.
    maxEventAge: Duration.minutes(15),
  },
  coordinator: {
    description: 'spotwise coordinator: admits, schedules or defers priority interruption requests',
    memorySize: 512,
    timeout: Duration.seconds(60),
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    // One admission at a time: an admission reads the pool and the requests already admitted, then reserves for the
    // victim it chose, so two at once (a maintenance wave's requests arrive together) would both choose the same
    // victim — the simulator showed three requests "served" by one termination. With reserved concurrency 1, Lambda
    // holds the others' asynchronous events and retries them (throttled asynchronous invocations are retried for up
    // to maxEventAge), so they are admitted one after another on the ledger the previous one left.
    reservedConcurrency: 1,
  },
  executor: {
    description: 'spotwise executor: re-checks the reservation and interrupts the victim at the scheduled time',
    memorySize: 256,
    timeout: Duration.seconds(60),
    retryAttempts: 2,
    // An interruption firing more than 15 minutes late is refused by the re-check anyway (deadline).
    maxEventAge: Duration.minutes(15),
  },
  retrainer: {
    description: 'spotwise retrainer: fine-tunes the post-restart demand model on stored restart cycles and keeps it only when it forecasts better',
    // tfjs training: the cycles of every group in memory at once and the model's gradients.
    memorySize: 1024,
    timeout: Duration.seconds(config.retraining.budget_seconds + RETRAINER_OVERHEAD_SECONDS),
    // A failed run is not retried: the next scheduled run does the same work on fresher cycles (a run is idempotent
    // but long, and a retry would hold the only concurrency slot for another run's worth of minutes).
    retryAttempts: 0,
    // A run delayed by more than an hour (throttled behind a manual invocation, say) is as good as the next one.
    maxEventAge: Duration.hours(1),
    // Two runs never train at once: each would gate against the same current model and one would waste its run
    // (the conditional put on MODEL/CURRENT keeps the table right either way).
    reservedConcurrency: 1,
  },
});

export interface SpotwiseFunctionsProps {
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly config: SpotwiseConfig;
  /** The configuration the Lambdas validate again at cold start (Env.config). */
  readonly configJson: string;
  /**
   * Names of the managed groups for IAM resources; undefined when groups are (also) selected by tag.
   */
  readonly groupNames: readonly string[] | undefined;
  /**
   * Repository root: handler entries, package-lock.json and the model are resolved against it.
   * @default PROJECT_ROOT (lib/project-root.ts)
   */
  readonly projectRoot?: string;
  /**
   * Directory (relative to projectRoot) holding `<handler>.ts` for each of the handlers (HANDLER_NAMES).
   * @default 'lambda/handlers'
   */
  readonly handlersDir?: string;
  /**
   * Model artifact directory (relative to projectRoot) bundled into the profiler and the retrainer only
   * (MODEL_HANDLERS). When it holds no model.json, both are bundled without a model: the profiler uses the
   * statistical fallback predictor (or a model the retrainer stored in the table) and the retrainer has no model to
   * start from; synth prints a warning saying so.
   * @default DEFAULT_MODEL_DIR
   */
  readonly modelDir?: string;
  /**
   * Log retention of every function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The five spotwise Lambdas with their environment (names from lambda/contracts/env.ts), their dead-letter
 * queues and least-privilege permissions (FUNCTION_ACCESS), and the one AWS SDK layer all of them load the SDK
 * from. Only the profiler and the retrainer (MODEL_HANDLERS) bundle tfjs and the model.
 *
 * The retrainer exists whatever `retraining.enabled` says; the stack only leaves its schedule out when retraining is
 * disabled. An idle function costs nothing (Lambda bills invocations), its handler refuses to train while the flag is
 * false, and the set of functions, roles and alarms stays the same shape under every configuration.
 */
export class SpotwiseFunctions extends Construct {
  readonly byName: Readonly<Record<HandlerName, SpotwiseFunction>>;
  readonly profiler: SpotwiseFunction;
  readonly notice: SpotwiseFunction;
  readonly coordinator: SpotwiseFunction;
  readonly executor: SpotwiseFunction;
  readonly retrainer: SpotwiseFunction;
  /** The AWS SDK layer every function carries (one per stack: built once, uploaded once). */
  readonly awsSdkLayer: AwsSdkLayer;
  /** Whether a model artifact was bundled into the profiler and the retrainer. */
  readonly modelBundled: boolean;

  constructor(scope: Construct, id: string, props: SpotwiseFunctionsProps) {
    super(scope, id);
    const configBytes = Buffer.byteLength(props.configJson, 'utf8');
    if (configBytes > MAX_CONFIG_ENV_BYTES) {
      throw new Error(
        `SpotwiseFunctions: the configuration passed to the Lambdas (${Env.config}) is ${configBytes} bytes; Lambda allows 4 KB of environment ` +
          `in total, so it must stay under ${MAX_CONFIG_ENV_BYTES} bytes. Select groups with group_tag instead of listing them, or share policies between groups.`,
      );
    }
    const root = props.projectRoot ?? PROJECT_ROOT;
    const handlersDir = props.handlersDir ?? 'lambda/handlers';
    const modelDir = props.modelDir ?? DEFAULT_MODEL_DIR;
    const settings = functionSettings(props.config);
    const { config } = props;
    this.awsSdkLayer = new AwsSdkLayer(this, 'AwsSdk', { projectRoot: root });

    const common: Record<string, string> = {
      [Env.tableName]: props.table.tableName,
      [Env.eventBusName]: props.bus.eventBusName,
      [Env.dryRun]: String(config.dry_run),
      [Env.config]: props.configJson,
      [Env.powertoolsServiceName]: SERVICE_NAME,
      [Env.powertoolsMetricsNamespace]: METRICS_NAMESPACE,
    };

    this.modelBundled = MODEL_FILES.every((f) => existsSync(join(root, modelDir, f)));
    if (!this.modelBundled) {
      Annotations.of(this).addWarningV2(
        'spotwise:model-missing',
        `No model artifact in ${modelDir} (${MODEL_FILES.join(', ')}): the profiler is bundled without it and forecasts with the statistical fallback, and the retrainer has no model to fine-tune. Run \`npm run train\` to create it.`,
      );
    }
    const modelHooks: ICommandHooks | undefined = this.modelBundled
      ? { beforeBundling: () => [], beforeInstall: () => [], afterBundling: (inputDir, outputDir) => modelCopyCommands(inputDir, outputDir, modelDir) }
      : undefined;

    const modelEnv: Record<string, string> = this.modelBundled ? { [Env.modelDir]: BUNDLED_MODEL_DIR } : {};
    const make = (name: HandlerName): SpotwiseFunction => {
      const s = settings[name];
      const carriesModel = MODEL_HANDLERS.includes(name);
      const commandHooks = carriesModel ? modelHooks : undefined;
      const fn = new SpotwiseFunction(this, capitalise(name), {
        handlerName: name,
        entry: resolve(root, handlersDir, `${name}.ts`),
        projectRoot: root,
        awsSdkLayer: this.awsSdkLayer.layer,
        description: s.description,
        memorySize: s.memorySize,
        ...(s.heapMiB !== undefined ? { heapMiB: s.heapMiB } : {}),
        timeout: s.timeout,
        retryAttempts: s.retryAttempts,
        maxEventAge: s.maxEventAge,
        ...(s.reservedConcurrency !== undefined ? { reservedConcurrency: s.reservedConcurrency } : {}),
        environment: { ...common, ...(carriesModel ? modelEnv : {}) },
        ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
        ...(commandHooks ? { commandHooks } : {}),
      });
      grantFunctionAccess(fn.role, FUNCTION_ACCESS[name], {
        table: props.table,
        bus: props.bus,
        managedTag: config.managed_tag,
        groupNames: props.groupNames,
        dryRun: config.dry_run,
      });
      return fn;
    };

    this.profiler = make('profiler');
    this.notice = make('notice');
    this.coordinator = make('coordinator');
    this.executor = make('executor');
    this.retrainer = make('retrainer');
    this.byName = { profiler: this.profiler, notice: this.notice, coordinator: this.coordinator, executor: this.executor, retrainer: this.retrainer };
  }
}

/**
 * The afterBundling commands of the functions that carry the model (MODEL_HANDLERS): only the three artifact files, into `model/` beside index.mjs,
 * where the Lambda reads them (BUNDLED_MODEL_DIR). Run by NodejsFunction locally (no Docker) with a POSIX shell.
 */
export const modelCopyCommands = (inputDir: string, outputDir: string, modelDir: string): string[] => [
  `mkdir -p "${outputDir}/model"`,
  ...MODEL_FILES.map((f) => `cp "${inputDir}/${modelDir}/${f}" "${outputDir}/model/${f}"`),
];

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
