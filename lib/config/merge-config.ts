import { ValidationError } from '../../lambda/contracts/validation';

/** One source of configuration, before validation (snake_case keys as in YAML / cdk.json). */
export interface ConfigLayer {
  /** Where it came from, for error messages ("cdk.json context 'spotwise'", "./spotwise.yaml"). */
  readonly source: string;
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * Lists whose entries are identified by a name: a later layer's entry replaces an earlier entry with the
 * same name (whole entry, no deep merge, so a policy never ends up half from one file and half from
 * another); new names are appended in order.
 */
const NAMED_LISTS = { groups: 'name', standby_groups: 'name', policies: 'policy_name' } as const;
/** Objects of independent settings: merged key by key (a layer may change one threshold only). */
const SETTINGS_OBJECTS = new Set(['profiler', 'alarms']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const mergeNamedList = (key: string, nameKey: string, before: unknown, after: unknown, source: string): unknown => {
  if (before === undefined) return after;
  // A non-list is left for the schema to reject with its own field-naming message.
  if (!Array.isArray(before) || !Array.isArray(after)) return after;
  const merged: unknown[] = [...before];
  after.forEach((entry: unknown, i) => {
    const name = isPlainObject(entry) ? entry[nameKey] : undefined;
    if (typeof name !== 'string') {
      throw new ValidationError(`configuration from ${source}`, [{ path: `${key}.${i}.${nameKey}`, value: name, message: `every entry of ${key} needs a ${nameKey}` }]);
    }
    const at = merged.findIndex((e) => isPlainObject(e) && e[nameKey] === name);
    if (at >= 0) merged[at] = entry;
    else merged.push(entry);
  });
  return merged;
};

/**
 * Merges configuration layers, later layers winning: named lists by name, `profiler`/`alarms` key by key,
 * everything else (scalars, `managed_tag`, `group_tag`, which are pairs) replaced whole.
 * The result is still unvalidated: validate it with parseSpotwiseConfig.
 */
export const mergeConfigLayers = (layers: readonly ConfigLayer[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.value)) {
      if (value === undefined) continue;
      const nameKey = (NAMED_LISTS as Record<string, string>)[key];
      if (nameKey !== undefined) out[key] = mergeNamedList(key, nameKey, out[key], value, layer.source);
      else if (SETTINGS_OBJECTS.has(key) && isPlainObject(out[key]) && isPlainObject(value)) out[key] = { ...out[key], ...value };
      else out[key] = value;
    }
  }
  return out;
};
