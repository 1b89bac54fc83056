import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import * as z from 'zod';
import { parseWith } from '../lambda/contracts/validation';
import type { BenchResult } from './bench-result';
import { mergeFigures, renderReadmeSection, renderTable, type Figure } from './figures';
import { SECTIONS, type SectionName } from './sections';
import { canPinToOneCore, runSectionInChild } from './section-process';

/**
 * `npm run bench`: every benchmark section, each in a fresh node process; writes bench/results.json
 * (`{"figures": [...]}`) and bench/README-performance.md, and prints the figures with their targets.
 *
 *   npm run bench                          every section (about 10 minutes on 2 cores)
 *   npm run bench -- --only notice,storm   some sections; the other figures in results.json are kept
 *   npm run bench -- --check               exit 1 when a figure falls short of its target
 */
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(BENCH_DIR, 'results.json');
const README_SECTION = join(BENCH_DIR, 'README-performance.md');

const figureSchema = z.object({ name: z.string(), value: z.number(), unit: z.string(), target: z.string(), pass: z.boolean() }).strict();
const resultsSchema = z.object({ figures: z.array(figureSchema) }).strict();
const benchResultSchema = z.object({ figures: z.array(figureSchema), notes: z.array(z.string()) }).strict();

const parseSections = (text: string): SectionName[] => {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`expected a comma-separated list of ${SECTIONS.join(', ')} (got ${JSON.stringify(text)})`);
  return SECTIONS.filter((s) => names.includes(s));
};

const readPrevious = (): Figure[] => (existsSync(RESULTS) ? parseWith(resultsSchema, RESULTS, JSON.parse(readFileSync(RESULTS, 'utf8'))).figures : []);

const machine = (): string => {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version} (${process.platform}/${process.arch})`;
};

const main = async (): Promise<number> => {
  const program = new Command()
    .name('npm run bench --')
    .option('--only <sections>', `comma-separated sections to run (${SECTIONS.join(', ')})`, parseSections)
    .option('--check', 'exit with status 1 when a figure falls short of its target')
    .parse(process.argv);
  const opts = program.opts<{ only?: SectionName[]; check?: boolean }>();
  const sections = opts.only ?? [...SECTIONS];

  const fresh: Figure[] = [];
  const notes: string[] = [];
  const failed: string[] = [];
  for (const section of sections) {
    const started = performance.now();
    try {
      const raw = await runSectionInChild(section);
      const result: BenchResult = parseWith(benchResultSchema, `result of benchmark section ${section}`, raw);
      fresh.push(...result.figures);
      notes.push(...result.notes);
      process.stderr.write(`[bench] ${section}: ${result.figures.length} figures in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    } catch (error) {
      failed.push(section);
      process.stderr.write(`[bench] section ${section} failed: ${(error as Error).message}\n`);
    }
  }

  // A full run replaces every figure; a partial one (or a failed section) keeps the previous figures of the rest.
  const figures = opts.only === undefined && failed.length === 0 ? mergeFigures([], fresh) : mergeFigures(readPrevious(), fresh);
  writeFileSync(RESULTS, `${JSON.stringify({ figures }, null, 2)}\n`);
  const pinned = canPinToOneCore();
  const readmeNotes = [
    `Each section runs in a fresh node process; each profiler tick ${pinned ? 'ran pinned to one CPU (`taskset -c 0`)' : 'could not be pinned to one CPU here (no taskset)'}, as its target is for one core. ` +
      'JavaScript runs on one thread anyway, but Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB): the notice function (512 MB) gets about 0.3 vCPU, so its times there are roughly 3× these.',
    'The machine is shared with other work: a time is the median of several runs in one process (3 unless a note says otherwise; the notes give every run, so the spread is visible); ' +
      'sizes, call counts, item counts and costs do not vary. The first profiler tick of a process is a cold container and runs once.',
    "`notice.p50`/`notice.p99` and `storm.planSeconds` are spotwise's own work against fakes that answer at memory speed. `notice.modelled.*` and `storm.concurrent.*` add a modelled round trip to every AWS call " +
      "(bench/aws/aws-latency.ts: DynamoDB from its documented single-digit milliseconds; EC2, Auto Scaling, EventBridge and Scheduler from stated assumptions, as AWS publishes no figure) in virtual time, with the handler's CPU scaled to its 512 MB.",
    ...notes,
  ];
  writeFileSync(README_SECTION, renderReadmeSection(figures, { machine: machine(), command: 'npm run bench', notes: readmeNotes }));

  console.log(renderTable(figures));
  console.log('');
  for (const n of notes) console.log(`- ${n}`);
  console.log('');
  console.log(`wrote ${RESULTS} and ${README_SECTION}`);
  if (failed.length > 0) {
    console.error(`benchmark sections failed: ${failed.join(', ')} (their previous figures, if any, were kept)`);
    return 1;
  }
  return opts.check === true && figures.some((f) => !f.pass) ? 1 : 0;
};

process.exitCode = await main();
