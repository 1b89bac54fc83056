import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test/events/ is two levels down). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Permitted samples copied into the repo (see test/fixtures/events/SOURCES.md). */
export const FIXTURE_DIR = join(REPO_ROOT, 'test/fixtures/events');
/** Every shared sample, including those that may only be read, never copied (../shared next to the repo, in CI too). */
export const SHARED_EVENTS_DIR = resolve(REPO_ROOT, '../shared/data/ec2-eventbridge-events/events');

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
export const fixture = (name: string): Record<string, unknown> => readJson(join(FIXTURE_DIR, name)) as Record<string, unknown>;
export const listJson = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
