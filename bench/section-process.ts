import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs one benchmark section in a fresh node process (bench/section.ts) and returns the JSON it wrote.
 * A fresh process per section keeps one section's heap, JIT state and module cache out of the next
 * one's figures, and lets a section's peak RSS be its own.
 */
const SECTION_ENTRY = fileURLToPath(new URL('./section.ts', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Whether `taskset` can pin a process to CPU 0 here (Linux util-linux; absent on macOS). */
export const canPinToOneCore = (): boolean => spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;

export interface SectionOptions {
  /** Run on CPU 0 only (`taskset -c 0`), when available: "on one core" figures. */
  readonly pinToOneCore?: boolean;
  /** V8's old-space limit in MiB (`--max-old-space-size`), as a Lambda's memory size bounds its heap. */
  readonly heapMiB?: number;
}

export const runSectionInChild = async (section: string, opts: SectionOptions = {}): Promise<Record<string, unknown>> =>
  runScriptInChild(['--import', 'tsx', SECTION_ENTRY, section], opts);

/**
 * Runs `node [flags] <script...> <result.json>` in a fresh process (pinned and heap-capped as `opts` say) and returns
 * the JSON the script wrote to the path given last.
 */
export const runScriptInChild = async (script: readonly string[], opts: SectionOptions = {}): Promise<Record<string, unknown>> => {
  const dir = mkdtempSync(join(tmpdir(), 'spotwise-bench-'));
  const out = join(dir, 'result.json');
  // The AWS SDK warns once per process that it will need Node 22 in 2027: noise in every section's output.
  const nodeArgs = [
    '--disable-warning=NodeVersionSupportWarning',
    ...(opts.heapMiB !== undefined ? [`--max-old-space-size=${opts.heapMiB}`] : []),
    ...script,
    out,
  ];
  const pin = opts.pinToOneCore === true && canPinToOneCore();
  const [command, args] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: REPO,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, SPOTWISE_BENCH_PINNED: pin ? '1' : '0' },
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`benchmark child ${script.slice(-2).join(' ')} exited with code ${String(code)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
