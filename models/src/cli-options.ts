import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (models/src/ is two levels below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the shared data sits next to the checkout (`../shared/data`). */
export const SHARED_DATA_DIR = resolve(REPO_ROOT, '../shared/data');
export const MODELS_DIR = join(REPO_ROOT, 'models');

/** `--data`: the given folder, else ../shared/data when present, else an error that says so. */
export const resolveDataDir = (given: string | undefined): string => {
  if (given) return resolve(given);
  if (existsSync(SHARED_DATA_DIR)) return SHARED_DATA_DIR;
  throw new Error(`no --data DIR given and ${SHARED_DATA_DIR} does not exist`);
};

/** A comma-separated list option. */
export const parseList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** An integer option, with an error naming the option and the value. */
export const parseIntegerOption =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${value}"`);
    return n;
  };
