import { existsSync, readFileSync, readdirSync } from 'node:fs';
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
export const listJson = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

/** Whether ../shared is beside the repository; a lone clone has only what is bundled. */
export const SHARED_EVENTS_PRESENT = existsSync(SHARED_EVENTS_DIR);

/**
 * Where the AWS EventBridge samples tests run over are: every shared sample when ../shared is beside the
 * repository; otherwise the copies bundled in test/fixtures/events (the samples ../shared/data/README.md
 * allows copying, same file names), and the samples that may only be read from ../shared are skipped.
 */
export const SAMPLE_EVENTS_DIR = SHARED_EVENTS_PRESENT ? SHARED_EVENTS_DIR : FIXTURE_DIR;

/** Bundled files that are not copies of shared samples: spotwise's own events and shapes written from AWS's documentation. */
const notFromShared = (f: string): boolean => f.startsWith('spotwise-') || f.includes('__documented-shape');

/** The sample files in SAMPLE_EVENTS_DIR; without ../shared it says (on stderr) which samples are skipped and why. */
export const sampleEventFiles = (): string[] => {
  if (SHARED_EVENTS_PRESENT) return listJson(SHARED_EVENTS_DIR);
  const bundled = listJson(FIXTURE_DIR).filter((f) => !notFromShared(f));
  console.warn(
    `${SHARED_EVENTS_DIR} not found (no ../shared beside this repository): testing the ${bundled.length} samples bundled in test/fixtures/events; ` +
      'the shared samples that may only be read, never copied (see ../shared/data/README.md), are skipped',
  );
  return bundled;
};
