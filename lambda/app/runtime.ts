import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import * as z from 'zod';
import { Env } from '../contracts/env';
import { METRICS_NAMESPACE } from '../contracts/metrics';
import { parseSpotwiseConfig, type SpotwiseConfig } from '../contracts/config';
import { ValidationError, parseWith } from '../contracts/validation';
import type { Telemetry } from './telemetry';

/** The service name logs, metrics and traces carry when POWERTOOLS_SERVICE_NAME is not set. */
export const DEFAULT_SERVICE_NAME = 'spotwise';

const boolText = z.enum(['true', 'false'], { message: 'expected "true" or "false"' });
const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'expected an ARN');

/**
 * The Lambda environment (names from lambda/contracts/env.ts), validated once at cold start. Scheduler
 * settings are needed only by the coordinator; the model directory only by the profiler.
 */
export const runtimeEnvSchema = z.object({
  [Env.tableName]: z.string().min(1),
  [Env.eventBusName]: z.string().min(1),
  [Env.config]: z.string().min(1),
  [Env.dryRun]: boolText.optional(),
  [Env.schedulerGroupName]: z.string().min(1).optional(),
  [Env.schedulerRoleArn]: arn.optional(),
  [Env.schedulerDeadLetterArn]: arn.optional(),
  [Env.executorFunctionArn]: arn.optional(),
  [Env.modelDir]: z.string().min(1).optional(),
});

export interface SchedulerSettings {
  readonly groupName: string;
  readonly roleArn: string;
  readonly executorArn: string;
  /** Where Scheduler sends a firing it could not deliver (DeadLetterConfig of each schedule). */
  readonly deadLetterArn?: string;
}

export interface RuntimeSettings {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly config: SpotwiseConfig;
  /**
   * SPOTWISE_DRY_RUN when set, else the configuration's dry_run. A group whose policy says dry_run is
   * dry-run too, whatever this says (see effectiveDryRun).
   */
  readonly dryRun: boolean;
  readonly scheduler?: SchedulerSettings;
  readonly modelDir?: string;
}

/** Parses the configuration JSON in SPOTWISE_CONFIG, naming the variable when it is not JSON. */
const parseConfigJson = (text: string): SpotwiseConfig => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('Lambda environment', [{ path: Env.config, value: text, message: `not JSON (${(error as Error).message})` }]);
  }
  return parseSpotwiseConfig(json);
};

/**
 * Validates the environment and the configuration it carries. Throws a ValidationError naming the
 * variable (or configuration field) and its value. `needsScheduler` makes the scheduler settings
 * required (the coordinator cannot schedule without them).
 */
export const loadRuntimeSettings = (env: Readonly<Record<string, string | undefined>>, opts: { readonly needsScheduler?: boolean } = {}): RuntimeSettings => {
  const e = parseWith(runtimeEnvSchema, 'Lambda environment', env);
  const config = parseConfigJson(e[Env.config]);
  const group = e[Env.schedulerGroupName];
  const role = e[Env.schedulerRoleArn];
  const target = e[Env.executorFunctionArn];
  if (opts.needsScheduler === true) {
    const missing = [
      [Env.schedulerGroupName, group],
      [Env.schedulerRoleArn, role],
      [Env.executorFunctionArn, target],
    ].filter(([, v]) => v === undefined);
    if (missing.length > 0) {
      throw new ValidationError(
        'Lambda environment',
        missing.map(([name]) => ({ path: String(name), value: undefined, message: 'required by the coordinator' })),
      );
    }
  }
  const dry = e[Env.dryRun];
  return {
    tableName: e[Env.tableName],
    eventBusName: e[Env.eventBusName],
    config,
    dryRun: dry === undefined ? config.dry_run : dry === 'true',
    ...(group !== undefined && role !== undefined && target !== undefined
      ? {
          scheduler: {
            groupName: group,
            roleArn: role,
            executorArn: target,
            ...(e[Env.schedulerDeadLetterArn] !== undefined ? { deadLetterArn: e[Env.schedulerDeadLetterArn] } : {}),
          },
        }
      : {}),
    ...(e[Env.modelDir] !== undefined ? { modelDir: e[Env.modelDir] } : {}),
  };
};

export interface PowertoolsTelemetry extends Telemetry {
  readonly logger: Logger;
  readonly powertoolsMetrics: Metrics;
  readonly powertoolsTracer: Tracer;
}

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, Percent: MetricUnit.Percent, None: MetricUnit.NoUnit } as const;

/** A Powertools setting from the environment; unset or empty means the default. */
const setting = (env: Readonly<Record<string, string | undefined>>, name: string, fallback: string): string => {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
};

/**
 * Powertools Logger, Metrics (EMF written to stdout: no PutMetricData calls) and Tracer, set up once per
 * Lambda container (STYLE.md habit 11). Creating them needs no AWS environment: outside Lambda the tracer
 * is disabled and the logger writes JSON to stdout.
 *
 * The service name and metric namespace come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE
 * (the stack sets them; the dashboard and alarms address metrics by that `service` dimension), falling back
 * to spotwise's own names outside Lambda. Powertools lets a value passed to its constructors win over its
 * environment variables, so passing constants here would silently ignore the stack's settings.
 */
export const createPowertoolsTelemetry = (handlerName: string, env: Readonly<Record<string, string | undefined>> = process.env): PowertoolsTelemetry => {
  const serviceName = setting(env, Env.powertoolsServiceName, DEFAULT_SERVICE_NAME);
  const namespace = setting(env, Env.powertoolsMetricsNamespace, METRICS_NAMESPACE);
  const logger = new Logger({ serviceName, persistentKeys: { handler: handlerName } });
  const powertoolsMetrics = new Metrics({ namespace, serviceName });
  const powertoolsTracer = new Tracer({ serviceName });
  return {
    logger,
    powertoolsMetrics,
    powertoolsTracer,
    log: {
      debug: (m, f) => logger.debug(m, { ...f }),
      info: (m, f) => logger.info(m, { ...f }),
      warn: (m, f) => logger.warn(m, { ...f }),
      error: (m, f) => logger.error(m, { ...f }),
    },
    metrics: {
      metric: (name, unit, value, dimensions) => {
        if (dimensions === undefined || Object.keys(dimensions).length === 0) {
          powertoolsMetrics.addMetric(name, UNITS[unit], value);
          return;
        }
        // A metric with its own dimensions is its own EMF record (Powertools single metric, flushed at once).
        const single = powertoolsMetrics.singleMetric();
        single.addDimensions({ ...dimensions });
        single.addMetric(name, UNITS[unit], value);
      },
      flush: () => powertoolsMetrics.publishStoredMetrics(),
    },
    tracer: {
      trace: async (name, annotations, fn) => {
        if (!powertoolsTracer.isTracingEnabled()) return fn();
        const segment = powertoolsTracer.getSegment();
        const sub = segment?.addNewSubsegment(`## ${name}`);
        if (sub !== undefined) powertoolsTracer.setSegment(sub);
        powertoolsTracer.annotateColdStart();
        powertoolsTracer.addServiceNameAnnotation();
        for (const [k, v] of Object.entries(annotations)) powertoolsTracer.putAnnotation(k, v);
        try {
          return await fn();
        } catch (error) {
          powertoolsTracer.addErrorAsMetadata(error as Error);
          throw error;
        } finally {
          sub?.close();
          if (segment !== undefined) powertoolsTracer.setSegment(segment);
        }
      },
    },
  };
};

/**
 * A value built on first use and kept for the container's life. Handlers build their default
 * dependencies through this, so importing a handler module (in a test, or at cold start) needs no AWS
 * environment: validation and client creation happen on the first invocation.
 */
export const lazy = <T>(make: () => T): (() => T) => {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: make() };
    return built.value;
  };
};
