import { parseAllDocuments } from 'yaml';
import { ValidationError } from './validation';

/**
 * The one reader of spotwise configuration text (YAML, and so JSON too): `cdk synth` (lib/config/load-config.ts)
 * and `spotwise plan --config` read files through it, so a file means the same thing to both. It returns
 * unvalidated layers; validate the merged result with parseSpotwiseConfig (contracts/config.ts). No file
 * system access here: callers read the text.
 */

/** A configuration file that is not valid YAML or holds a document of no accepted shape; names the file and where. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** One source of configuration, before validation (snake_case keys as in YAML / cdk.json). */
export interface ConfigLayer {
  /** Where it came from, for error messages ("cdk.json context 'spotwise'", "./spotwise.yaml"). */
  readonly source: string;
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * Lists whose entries are identified by a name: a later layer's entry replaces an earlier entry with the
 * same name (whole entry, no deep merge, so a policy never ends up half from one file and half from
 * another); new names are appended in order. Within one source a name may appear once.
 */
const NAMED_LISTS = { groups: 'name', standby_groups: 'name', policies: 'policy_name' } as const;
type NamedList = keyof typeof NAMED_LISTS;
/** Objects of independent settings: merged key by key (a layer may change one threshold only). */
const SETTINGS_OBJECTS = new Set(['profiler', 'alarms', 'retraining']);
/** Aliases expanded per document before the reader gives up: a YAML alias bomb is an error, not a hang. */
const MAX_ALIAS_COUNT = 100;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Issue = ValidationError['issues'][number];

/** Where one named entry was found: `policies.1`, or `document 2: policies.0` in a multi-document file. */
interface Occurrence {
  readonly at: string;
  readonly name: unknown;
}

/**
 * Every name given twice, each issue naming the second occurrence (its path and value) and the first. The
 * handlers index policies and groups by name, so a duplicate would silently keep only one of them.
 */
const duplicateIssues = (occurrences: Readonly<Record<NamedList, readonly Occurrence[]>>): Issue[] => {
  const issues: Issue[] = [];
  for (const key of Object.keys(NAMED_LISTS) as NamedList[]) {
    const nameKey = NAMED_LISTS[key];
    const first = new Map<string, string>();
    for (const o of occurrences[key]) {
      if (typeof o.name !== 'string') continue;
      const earlier = first.get(o.name);
      if (earlier === undefined) first.set(o.name, o.at);
      else
        issues.push({
          path: `${o.at}.${nameKey}`,
          value: o.name,
          message: `duplicate ${key === 'policies' ? 'policy name' : 'group name'} (first defined at ${earlier})`,
        });
    }
  }
  return issues;
};

const occurrencesIn = (value: Readonly<Record<string, unknown>>, prefix: string): Record<NamedList, Occurrence[]> => {
  const out: Record<NamedList, Occurrence[]> = { groups: [], standby_groups: [], policies: [] };
  for (const key of Object.keys(NAMED_LISTS) as NamedList[]) {
    const list = value[key];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, i) => out[key].push({ at: `${prefix}${key}.${i}`, name: isPlainObject(entry) ? entry[NAMED_LISTS[key]] : undefined }));
  }
  return out;
};

/** The first line of a yaml error without its " at line L, column C:" suffix (the position is given separately). */
const firstLine = (message: string): string => (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');

/**
 * Turns the documents of a YAML (or JSON) text into configuration layers. A document may be a whole
 * configuration (a mapping with `groups`, `policies`, ...), one shaping policy (a mapping with
 * `policy_name`), or a list of shaping policies; multi-document files mix them, so a seed-style policy file
 * works as is. Syntax errors (duplicate keys included) name the line, column and the line's text, all at
 * once; a name given twice anywhere in the file (policies, groups, standby groups) names both places.
 */
export const yamlConfigLayers = (text: string, file: string): ConfigLayer[] => {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const lines = text.split(/\r?\n/);
  const syntax = list.flatMap((doc) =>
    doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const line = pos === undefined ? undefined : lines[pos.line - 1]?.trim();
      return pos === undefined
        ? firstLine(e.message)
        : `line ${pos.line}, column ${pos.col}: ${firstLine(e.message)}${line ? ` (${JSON.stringify(line)})` : ''}`;
    }),
  );
  if (syntax.length > 0) throw new ConfigFileError(file, `invalid YAML at ${syntax.join('; ')}`);

  const layers: ConfigLayer[] = [];
  const occurrences: Record<NamedList, Occurrence[]> = { groups: [], standby_groups: [], policies: [] };
  list.forEach((doc, d) => {
    const where = list.length > 1 ? `document ${d + 1}` : undefined;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      throw new ConfigFileError(file, `invalid YAML in document ${d + 1}: ${(error as Error).message}`, { cause: error });
    }
    // An empty document (a trailing `---`, a comment-only file) is nothing, not an error.
    if (value === null || value === undefined) return;
    let layer: Record<string, unknown>;
    if (Array.isArray(value)) layer = { policies: value };
    else if (isPlainObject(value) && 'policy_name' in value) layer = { policies: [value] };
    else if (isPlainObject(value)) layer = value;
    else throw new ConfigFileError(file, `document ${d + 1} is ${JSON.stringify(value)}; expected a configuration mapping, a policy or a list of policies`);
    layers.push({ source: where === undefined ? file : `${file} (${where})`, value: layer });
    const found = occurrencesIn(layer, where === undefined ? '' : `${where}: `);
    for (const key of Object.keys(NAMED_LISTS) as NamedList[]) occurrences[key].push(...found[key]);
  });
  const duplicates = duplicateIssues(occurrences);
  if (duplicates.length > 0) throw new ValidationError(`configuration file ${file}`, duplicates);
  return layers;
};

const mergeNamedList = (key: NamedList, before: unknown, after: unknown, source: string): unknown => {
  const nameKey = NAMED_LISTS[key];
  if (before === undefined) return after;
  // A non-list is left for the schema to reject with its own field-naming message.
  if (!Array.isArray(before) || !Array.isArray(after)) return after;
  const merged: unknown[] = [...before];
  after.forEach((entry: unknown, i) => {
    const name = isPlainObject(entry) ? entry[nameKey] : undefined;
    if (typeof name !== 'string') {
      throw new ValidationError(`configuration from ${source}`, [
        { path: `${key}.${i}.${nameKey}`, value: name, message: `every entry of ${key} needs a ${nameKey}` },
      ]);
    }
    const at = merged.findIndex((e) => isPlainObject(e) && e[nameKey] === name);
    if (at >= 0) merged[at] = entry;
    else merged.push(entry);
  });
  return merged;
};

/**
 * Merges configuration layers, later layers winning: named lists by name, `profiler`/`alarms` key by key,
 * everything else (scalars, `managed_tag`, `group_tag`, which are pairs) replaced whole. A name given twice
 * within one layer is refused, naming both places (a later layer replacing an earlier one's entry is the
 * point of layering; a layer contradicting itself is a mistake). The result is still unvalidated: validate
 * it with parseSpotwiseConfig.
 */
export const mergeConfigLayers = (layers: readonly ConfigLayer[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    const duplicates = duplicateIssues(occurrencesIn(layer.value, ''));
    if (duplicates.length > 0) throw new ValidationError(`configuration from ${layer.source}`, duplicates);
    for (const [key, value] of Object.entries(layer.value)) {
      if (value === undefined) continue;
      if (key in NAMED_LISTS) out[key] = mergeNamedList(key as NamedList, out[key], value, layer.source);
      else if (SETTINGS_OBJECTS.has(key) && isPlainObject(out[key]) && isPlainObject(value)) out[key] = { ...out[key], ...value };
      else out[key] = value;
    }
  }
  return out;
};

/** A whole configuration file's text as one unvalidated configuration: its documents read and merged in order. */
export const readConfigText = (text: string, file: string): Record<string, unknown> => mergeConfigLayers(yamlConfigLayers(text, file));
