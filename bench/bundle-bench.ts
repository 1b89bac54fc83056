import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { DEFAULT_MODEL_DIR, MODEL_FILES } from '../lib/functions';
import { PROJECT_ROOT } from '../lib/project-root';
import { baseBundling, HANDLER_NAMES, type HandlerName } from '../lib/spotwise-function';
import { progress, type BenchResult } from './bench-result';
import { equalTo, figure, lessThan, type Figure } from './figures';
import { percentile } from './stats';

/**
 * Lambda bundles: each handler entry (lambda/handlers/<name>.ts) bundled by esbuild with the options the
 * stack gives NodejsFunction (lib/spotwise-function.ts baseBundling: ESM, minified, `module` before
 * `main`, the AWS SDK bundled, the per-function externals, the createRequire banner), so the bytes are what `cdk deploy` uploads.
 * The profiler's size includes the model artifact files its afterBundling hook copies beside it.
 *
 * Init time: the bundle imported in a fresh `node` process (module evaluation only, as Lambda's Init
 * Duration; handlers build their AWS clients lazily on the first invocation), median of 3 processes.
 */
const OUT_DIR = join(PROJECT_ROOT, 'out', 'bench', 'bundles');
/** Lambda's runtime is Node 24 (lib LAMBDA_RUNTIME); the bundle targets it as the stack does. */
const TARGET = 'node24';
const INIT_RUNS = 3;

/** Decimal megabytes: a bundle under the decimal figure is under the binary one too. */
const MB = 1_000_000;
const SIZE_TARGET: Readonly<Record<HandlerName, number>> = { notice: 1 * MB, profiler: 3 * MB, coordinator: 1 * MB, executor: 1 * MB };
/** The issue sets no init targets: a notice must leave its 120 s almost whole; the profiler also loads tfjs. */
const INIT_TARGET_MS: Readonly<Record<HandlerName, number>> = { notice: 1_000, profiler: 3_000, coordinator: 1_000, executor: 1_000 };

export interface BundleMeasurement {
  readonly name: HandlerName;
  readonly codeBytes: number;
  readonly mapBytes: number;
  readonly modelBytes: number;
  /** Input modules from @tensorflow/* in the bundle. */
  readonly tfjsModules: number;
  readonly initMs: number;
}

export const bundleHandler = async (name: HandlerName, outDir = OUT_DIR): Promise<{ readonly outfile: string; readonly metafile: Metafile }> => {
  const entry = resolve(PROJECT_ROOT, 'lambda/handlers', `${name}.ts`);
  const options = baseBundling(TARGET, name);
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: options.target,
    format: 'esm',
    mainFields: options.mainFields,
    minify: options.minify,
    sourcemap: options.sourceMap,
    sourcesContent: options.sourcesContent,
    banner: { js: options.banner },
    external: options.externalModules,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  return { outfile, metafile: result.metafile };
};

/** ms to import `file` in a fresh node process (measured inside it, so node's own start-up is left out). */
export const measureInitMs = (file: string): number => {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const runs = Array.from({ length: INIT_RUNS }, () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(out.trim().split('\n').pop());
    if (!Number.isFinite(ms)) throw new Error(`init of ${file}: the child printed ${JSON.stringify(out.slice(-200))}`);
    return ms;
  });
  return percentile(runs, 50);
};

export const measureBundle = async (name: HandlerName): Promise<BundleMeasurement> => {
  const { outfile, metafile } = await bundleHandler(name);
  const modelDir = join(PROJECT_ROOT, DEFAULT_MODEL_DIR);
  const modelBytes = name === 'profiler' && MODEL_FILES.every((f) => existsSync(join(modelDir, f)))
    ? MODEL_FILES.reduce((n, f) => n + statSync(join(modelDir, f)).size, 0)
    : 0;
  return {
    name,
    codeBytes: statSync(outfile).size,
    mapBytes: existsSync(`${outfile}.map`) ? statSync(`${outfile}.map`).size : 0,
    modelBytes,
    tfjsModules: Object.keys(metafile.inputs).filter((p) => p.includes('node_modules/@tensorflow/')).length,
    initMs: measureInitMs(outfile),
  };
};

export const runBundleBench = async (): Promise<BenchResult> => {
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const name of HANDLER_NAMES) {
    if (!existsSync(resolve(PROJECT_ROOT, 'lambda/handlers', `${name}.ts`))) {
      notes.push(`bundle ${name}: lambda/handlers/${name}.ts does not exist, not measured.`);
      continue;
    }
    progress(`bundle: ${name}`);
    const m = await measureBundle(name);
    figures.push(figure(`bundle.${name}.bytes`, m.codeBytes + m.modelBytes, 'bytes', lessThan(SIZE_TARGET[name], 'bytes')));
    figures.push(figure(`bundle.${name}.initMs`, m.initMs, 'ms', lessThan(INIT_TARGET_MS[name], 'ms')));
    if (name === 'notice') figures.push(figure('bundle.notice.tfjsModules', m.tfjsModules, 'modules', equalTo(0, 'no model on the notice path')));
    if (name === 'profiler' && m.modelBytes === 0) notes.push(`bundle profiler: no model artifact in ${DEFAULT_MODEL_DIR}: the size excludes the model.`);
    notes.push(`bundle ${name}: ${m.codeBytes.toLocaleString('en-US')} bytes of code${m.modelBytes > 0 ? ` + ${m.modelBytes.toLocaleString('en-US')} bytes of model files` : ''} (+ a ${m.mapBytes.toLocaleString('en-US')}-byte source map), ${m.tfjsModules} tfjs modules.`);
  }
  return { figures, notes };
};
