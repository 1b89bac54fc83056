import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: lib/ sits directly under it (handlers, package-lock.json, models/, the example config). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
