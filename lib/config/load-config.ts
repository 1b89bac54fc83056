import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigFileError, mergeConfigLayers, yamlConfigLayers, type ConfigLayer } from '../../lambda/contracts/config-file';
import { parseSpotwiseConfig, type SpotwiseConfig } from '../../lambda/contracts/config';
import { ValidationError } from '../../lambda/contracts/validation';
import { ContextKey, type ContextKeyName, type ContextReader } from './context-keys';
import { EXAMPLE_CONFIG_FILE } from './default-config';
import { demoConfigLayer } from './demo-config';
import { PROJECT_ROOT } from '../project-root';

// The reader is shared with `spotwise plan` (lambda/contracts/config-file.ts); these names stay importable from here.
export { ConfigFileError, yamlConfigLayers };

export interface LoadedConfig {
  /** The validated configuration (defaults filled). */
  readonly config: SpotwiseConfig;
  /**
   * The merged input that validated into `config`. The Lambdas receive this (minus `alarm_email`, which
   * they do not need) as SPOTWISE_CONFIG and validate it again at cold start with the same schema, so the
   * defaults they fill are the ones synth filled, and the variable stays small (Lambda allows 4 KB of
   * environment in total).
   */
  readonly input: Readonly<Record<string, unknown>>;
  /** Where the configuration came from, in merge order (later wins). */
  readonly sources: readonly string[];
  readonly demo: boolean;
  /** Add spotwise's lifecycle hooks to existing named groups through a custom resource. */
  readonly lifecycleHooksOnExistingGroups: boolean;
}

export interface LoadConfigOptions {
  readonly context: ContextReader;
  readonly stackName: string;
  /** @default node:fs readFileSync (utf8) */
  readonly readFile?: (path: string) => string;
  /** Directory a relative `policy` path is resolved against. @default process.cwd() (cdk runs the app in the project directory) */
  readonly cwd?: string;
  /** Directory holding spotwise.example.yaml, the default configuration. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

const contextError = (key: ContextKeyName, value: unknown, message: string): ValidationError =>
  new ValidationError('CDK context', [{ path: key, value, message }]);

/** Reads a boolean context value: `-c key=true` arrives as the string "true", cdk.json gives a boolean. */
export const readBooleanContext = (context: ContextReader, key: ContextKeyName, fallback: boolean): boolean => {
  const value = context(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw contextError(key, value, 'expected true or false');
};

/** Reads an optional string context value. */
export const readStringContext = (context: ContextReader, key: ContextKeyName): string | undefined => {
  const value = context(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw contextError(key, value, 'expected a non-empty string');
  return value;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `spotwise` context value: an object in cdk.json, or a JSON string from `-c spotwise='{...}'`. */
const contextConfigLayer = (context: ContextReader): ConfigLayer | undefined => {
  const raw = context(ContextKey.config);
  if (raw === undefined) return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw contextError(ContextKey.config, raw, `expected a JSON object (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(value)) throw contextError(ContextKey.config, raw, 'expected an object');
  return { source: `context '${ContextKey.config}'`, value };
};

const readYamlLayers = (full: string, shown: string, readFile: (path: string) => string, what: string): ConfigLayer[] => {
  let text: string;
  try {
    text = readFile(full);
  } catch (error) {
    throw new ConfigFileError(shown, `cannot read ${what} (${(error as Error).message})`, { cause: error });
  }
  return yamlConfigLayers(text, shown);
};

const fileLayers = (context: ContextReader, readFile: (path: string) => string, cwd: string): ConfigLayer[] => {
  const path = readStringContext(context, ContextKey.policyFile);
  if (path === undefined) return [];
  return readYamlLayers(resolve(cwd, path), path, readFile, `the policy file given with -c ${ContextKey.policyFile}=${path}`);
};

/** Group names must be unique across `groups` and `standby_groups`: they become rule filters and construct ids. */
const duplicateGroupIssues = (config: SpotwiseConfig): ValidationError | undefined => {
  const seen = new Set<string>();
  const issues: { path: string; value: unknown; message: string }[] = [];
  const check = (list: readonly { name: string }[], key: string): void =>
    list.forEach((g, i) => {
      if (seen.has(g.name)) issues.push({ path: `${key}.${i}.name`, value: g.name, message: 'group named twice (in groups or standby_groups)' });
      seen.add(g.name);
    });
  check(config.groups, 'groups');
  check(config.standby_groups, 'standby_groups');
  return issues.length > 0 ? new ValidationError('spotwise configuration', issues) : undefined;
};

/**
 * Loads the spotwise configuration for synth: the demo layer (with `-c demo=true`), the `spotwise` context
 * object, the YAML file named by `-c policy=...`, then the `dry_run` / `alarm_email` context overrides,
 * merged in that order (later wins) and validated with parseSpotwiseConfig. With none of them (and no demo),
 * spotwise.example.yaml applies, which is in dry-run. Any error names the field and the value.
 */
export const loadSpotwiseConfig = (options: LoadConfigOptions): LoadedConfig => {
  const { context, stackName } = options;
  const demo = readBooleanContext(context, ContextKey.demo, false);
  const lifecycleHooksOnExistingGroups = readBooleanContext(context, ContextKey.lifecycleHooks, false);
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const userLayers = [contextConfigLayer(context), ...fileLayers(context, readFile, options.cwd ?? process.cwd())].filter(
    (l): l is ConfigLayer => l !== undefined,
  );

  const dryRun = context(ContextKey.dryRun) === undefined ? undefined : readBooleanContext(context, ContextKey.dryRun, true);
  const alarmEmail = readStringContext(context, ContextKey.alarmEmail);
  const overrides: ConfigLayer = {
    source: 'context overrides',
    value: { ...(dryRun !== undefined ? { dry_run: dryRun } : {}), ...(alarmEmail !== undefined ? { alarm_email: alarmEmail } : {}) },
  };

  const base = demo
    ? [demoConfigLayer(stackName)]
    : userLayers.length === 0
      ? readYamlLayers(resolve(options.projectRoot ?? PROJECT_ROOT, EXAMPLE_CONFIG_FILE), EXAMPLE_CONFIG_FILE, readFile, 'the default configuration').map(
          (l) => ({
            ...l,
            source: `${l.source} (default: no configuration given)`,
          }),
        )
      : [];
  const layers = [...base, ...userLayers, ...(Object.keys(overrides.value).length > 0 ? [overrides] : [])];
  const input = mergeConfigLayers(layers);
  const sources = layers.map((l) => l.source);

  let config: SpotwiseConfig;
  try {
    config = parseSpotwiseConfig(input);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`spotwise configuration (from ${sources.join(' + ')})`, error.issues);
    throw error;
  }
  const duplicates = duplicateGroupIssues(config);
  if (duplicates) throw new ValidationError(`spotwise configuration (from ${sources.join(' + ')})`, duplicates.issues);
  return { config, input, sources, demo, lifecycleHooksOnExistingGroups };
};
