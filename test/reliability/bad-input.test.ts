import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DetailType } from '../../lambda/contracts/events';
import { MetricName } from '../../lambda/contracts/metrics';
import { ValidationError } from '../../lambda/contracts/validation';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import type { HandlerResult } from '../../lambda/app/handler-deps';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { makeHandler as makeProfiler } from '../../lambda/handlers/profiler';
import { loadRuntimeSettings } from '../../lambda/app/runtime';
import { ConfigFileError, loadSpotwiseConfig } from '../../lib/config/load-config';
import { buildWorld, configInput, type World } from '../handlers/world';

/**
 * Reliability, unit tier: a corpus of malformed and hostile input (test/reliability/corpus/, data only).
 *
 * events/*.json — one case each: the event, what must become of it ("malformed": dropped with an error
 * naming the field; "ignored": a counted no-op; "refused": a request or due interruption planned as a
 * deferral, recorded, nothing done to the fleet) and the fields the error must name. Huge payloads are
 * described, not stored: `inflate` puts a 1 MiB string, a 100,000-entry list or a 2,000-deep nesting at
 * a path. Each case goes, in a fresh world (test/handlers/world.ts), to the handler its rule targets:
 * it must not throw, must make no call that changes the cloud, the ledger or the schedules, must count
 * itself (MalformedEvents / IgnoredEvents), must keep its error message short whatever the payload size,
 * and must not pollute Object.prototype.
 *
 * policies/*.yaml and configs/*.yaml — invalid shaping policies and configuration files, both through the
 * synth-time loader (`-c policy=<file>`, the one configuration reader), each with the words its error must contain
 * (expected.json). environments.json — invalid Lambda environments (loadRuntimeSettings at cold start).
 */
const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));

const inflateSchema = z.union([
  z.object({ path: z.array(z.string()).min(1), prefix: z.string(), repeat: z.string().length(1), times: z.number().int().positive() }).strict(),
  z.object({ path: z.array(z.string()).min(1), array: z.string(), times: z.number().int().positive() }).strict(),
  z.object({ path: z.array(z.string()).min(1), depth: z.number().int().positive() }).strict(),
]);
const caseSchema = z
  .object({
    description: z.string().min(1),
    category: z.enum(['wrong-type', 'missing-field', 'injection', 'huge', 'unknown-type', 'unknown-instance']),
    expect: z.enum(['malformed', 'ignored', 'refused']),
    mentions: z.array(z.string()).optional(),
    inflate: inflateSchema.optional(),
    event: z.unknown(),
  })
  .strict();
type Case = z.infer<typeof caseSchema>;

const cases = readdirSync(join(CORPUS, 'events'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    ...caseSchema.parse(JSON.parse(readFileSync(join(CORPUS, 'events', file), 'utf8'))),
  }));

/** The event a case describes, with its huge part built in memory. */
const eventOf = (c: Case): unknown => {
  const event = structuredClone(c.event);
  if (c.inflate === undefined) return event;
  const inflate = c.inflate;
  let value: unknown;
  if ('repeat' in inflate) value = inflate.prefix + inflate.repeat.repeat(inflate.times);
  else if ('array' in inflate) value = Array.from({ length: inflate.times }, () => inflate.array);
  else {
    let nested: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < inflate.depth; i++) nested = { nested };
    value = nested;
  }
  let target = event as Record<string, unknown>;
  for (const key of inflate.path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[inflate.path.at(-1) as string] = value;
  return event;
};

/** The handler the stack's rules deliver an event to (anything else reaches the notice handler's rules at most). */
const handlerFor = (w: World, event: unknown): ((e: unknown) => Promise<HandlerResult>) => {
  const type = event !== null && typeof event === 'object' ? (event as Record<string, unknown>)['detail-type'] : undefined;
  const source = event !== null && typeof event === 'object' ? (event as Record<string, unknown>).source : undefined;
  if (source === 'spotwise' && type === DetailType.interruptionRequested) return makeCoordinator(w.deps);
  if (source === 'spotwise' && type === DetailType.interruptionDue) return makeExecutor(w.deps);
  if (source === 'spotwise' && type === DetailType.profileTick) {
    return makeProfiler({
      ...w.deps,
      metricsReader: w.ports.metrics,
      predictor: new FallbackPredictor(),
      profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
    });
  }
  return makeNotice(w.deps);
};

/** The longest error message a case may produce: field paths and values are quoted, never the whole payload. */
const MAX_ERROR_CHARS = 4_000;

describe('reliability: malformed and hostile events', () => {
  it('the corpus holds at least 50 events, in every category', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    const categories = new Set(cases.map((c) => c.category));
    expect([...categories].sort()).toEqual(['huge', 'injection', 'missing-field', 'unknown-instance', 'unknown-type', 'wrong-type']);
    for (const c of cases.filter((x) => x.expect === 'malformed')) expect(c.mentions?.length ?? 0).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.file, c] as const))(
    '%s',
    async (_file, c) => {
      const w = await buildWorld();
      const event = eventOf(c);
      const result = await handlerFor(w, event)(event);

      // Nothing done: no call that changes instances, groups, lifecycle actions, the ledger or schedules.
      const mutating = w.ports.mutatingCalls().map((call) => `${call.fake}.${call.operation}`);
      expect(mutating.filter((m) => m !== 'stateStore.putRequest')).toEqual([]);
      expect(w.ports.stateStore.allReservations()).toEqual([]);
      expect(w.ports.scheduler.pending()).toEqual([]);
      expect(Object.prototype).not.toHaveProperty('polluted');

      switch (c.expect) {
        case 'malformed': {
          expect(result.status).toBe('malformed');
          if (result.status !== 'malformed') return;
          for (const m of c.mentions ?? []) expect(result.errors).toContain(m);
          expect(result.errors.length).toBeLessThan(MAX_ERROR_CHARS);
          expect(w.telemetry.total(MetricName.malformedEvents)).toBe(1);
          const logged = w.telemetry.logsAt('error').find((l) => l.message === 'malformed event dropped');
          expect(logged?.fields.errors).toBe(result.errors);
          break;
        }
        case 'ignored':
          expect(result.status).toBe('ignored');
          expect(w.telemetry.total(MetricName.ignoredEvents)).toBe(1);
          expect(w.telemetry.total(MetricName.malformedEvents)).toBe(0);
          expect(JSON.stringify(w.telemetry.logs).length).toBeLessThan(20_000);
          break;
        case 'refused': {
          // A request (or due interruption) for nothing spotwise can act on: planned as a deferral, recorded as such.
          expect(result).toMatchObject({ status: 'planned', succeeded: true });
          if (result.status !== 'planned') return;
          expect(result.actions.every((a) => a === 'defer-interruption' || a === 'noop' || a === 'release')).toBe(true);
          expect(w.ports.publisher.domainEvents().filter((e) => e.kind === 'interruption-deferred').length).toBeGreaterThanOrEqual(1);
          for (const r of w.ports.stateStore.allRequests()) expect(['deferred', 'refused']).toContain(r.status);
          break;
        }
      }
      // Every invocation flushed its metrics, whatever became of the event.
      expect(w.telemetry.flushes).toBe(1);
    },
    30_000,
  );
});

const expectations = (dir: string): Record<string, string[]> =>
  z.record(z.string(), z.array(z.string())).parse(JSON.parse(readFileSync(join(CORPUS, dir, 'expected.json'), 'utf8')));

describe('reliability: invalid shaping policies', () => {
  const expected = expectations('policies');
  const files = readdirSync(join(CORPUS, 'policies'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('every policy file has its expectation, and there are at least 15', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s is refused with an error naming the field and value', (file) => {
    // Groups selected by tag, so the policy file is the only thing that can be wrong.
    const context = (key: string): unknown => (key === 'policy' ? file : key === 'spotwise' ? { group_tag: { key: 'team', value: 'web' } } : undefined);
    const started = performance.now();
    let error: unknown;
    try {
      loadSpotwiseConfig({ context: context as never, stackName: 'Spotwise', cwd: join(CORPUS, 'policies') });
    } catch (e) {
      error = e;
    }
    expect(error instanceof ValidationError || error instanceof ConfigFileError, String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(file);
    for (const m of expected[file] ?? []) expect(message).toContain(m);
    expect(message.length).toBeLessThan(MAX_ERROR_CHARS);
    // An alias bomb is cut off, not expanded.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('reliability: invalid configuration files (synth)', () => {
  const expected = expectations('configs');
  const files = readdirSync(join(CORPUS, 'configs'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('every configuration file has its expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s is refused naming the file or the field', (file) => {
    const context = (key: string): unknown => (key === 'policy' ? file : undefined);
    let error: unknown;
    try {
      loadSpotwiseConfig({ context: context as never, stackName: 'Spotwise', cwd: join(CORPUS, 'configs') });
    } catch (e) {
      error = e;
    }
    expect(error instanceof ValidationError || error instanceof ConfigFileError).toBe(true);
    const message = (error as Error).message;
    for (const m of expected[file] ?? []) expect(message).toContain(m);
    expect(message.length).toBeLessThan(MAX_ERROR_CHARS);
  });
});

describe('reliability: invalid Lambda environments (cold start)', () => {
  const envCases = z
    .array(
      z
        .object({
          description: z.string(),
          env: z.record(z.string(), z.string()),
          mentions: z.array(z.string()).min(1),
          needsScheduler: z.boolean().optional(),
        })
        .strict(),
    )
    .parse(JSON.parse(readFileSync(join(CORPUS, 'environments.json'), 'utf8')));
  const validConfig = JSON.stringify(configInput());

  it.each(envCases.map((c) => [c.description, c] as const))('%s', (_d, c) => {
    const env = Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, v === 'CONFIG' ? validConfig : v]));
    expect(() => loadRuntimeSettings(env, { needsScheduler: c.needsScheduler ?? false })).toThrow(ValidationError);
    try {
      loadRuntimeSettings(env, { needsScheduler: c.needsScheduler ?? false });
    } catch (e) {
      for (const m of c.mentions) expect((e as Error).message).toContain(m);
    }
  });

  it('the same environment with the valid configuration loads (the cases fail for their own reason)', () => {
    expect(loadRuntimeSettings({ SPOTWISE_TABLE_NAME: 't', SPOTWISE_EVENT_BUS_NAME: 'bus', SPOTWISE_CONFIG: validConfig }).tableName).toBe('t');
  });
});
