import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { AWS_SDK_LAYER_MODULES_DIR, buildAwsSdkLayer, type AwsSdkLayerBuild } from '../lib/aws-sdk-layer';
import { DEFAULT_MODEL_DIR, MODEL_FILES } from '../lib/functions';
import { LAMBDA_BUNDLE_TARGET } from '../lib/lambda-runtime';
import { PROJECT_ROOT } from '../lib/project-root';
import { baseBundling, HANDLER_NAMES, type HandlerName } from '../lib/spotwise-function';
import { progress, type BenchResult } from './bench-result';
import { equalTo, figure, lessThan, type Figure } from './figures';
import { percentile } from './stats';

/**
 * Lambda bundles: each handler entry (lambda/handlers/<name>.ts) bundled by esbuild with the options the
 * stack gives NodejsFunction (lib/spotwise-function.ts baseBundling: ESM, minified, `module` before
 * `main`, the AWS SDK packages of the layer and the per-function externals left out, the createRequire
 * banner), so the bytes are what `cdk deploy` uploads as the function's code. The profiler's size includes
 * the model artifact files its afterBundling hook copies beside it.
 *
 * The AWS SDK layer (lib/aws-sdk-layer.ts) is built once, as synth builds it, and measured on its own: every
 * function loads it too, so each handler also gets its function + layer total.
 *
 * Init time: the bundle imported in a fresh `node` process (module evaluation only, as Lambda's Init
 * Duration; handlers build their AWS clients lazily on the first invocation), median of 3 processes. A
 * `node_modules` symlink beside each bundle points at the layer's nodejs/node_modules, as Lambda resolves
 * the SDK from /opt/nodejs/node_modules; each run checks that every SDK package the bundle imports resolved
 * into the layer, not into the project's node_modules further up.
 */
const OUT_DIR = join(PROJECT_ROOT, 'out', 'bench', 'bundles');
const LAYER_DIR = join(OUT_DIR, 'aws-sdk-layer');
const INIT_RUNS = 3;

/** Decimal megabytes: a bundle under the decimal figure is under the binary one too. */
const MB = 1_000_000;
const SIZE_TARGET: Readonly<Record<HandlerName, number>> = { notice: 1 * MB, profiler: 3 * MB, coordinator: 1 * MB, executor: 1 * MB, retrainer: 3 * MB };
/**
 * Lambda's quota on a function's unzipped code plus all its layers ("Lambda quotas": 250 MB, "this quota applies
 * to all the files you upload, including layers"). It is the only hard bound on the layer and on each function +
 * layer total; what the layer's bytes cost on every cold start is in the initMs figures, held to their own targets.
 */
const UNZIPPED_QUOTA = 250 * MB;
/** The issue sets no init targets: a notice must leave its 120 s almost whole; the profiler and the retrainer also load tfjs. */
const INIT_TARGET_MS: Readonly<Record<HandlerName, number>> = { notice: 1_000, profiler: 3_000, coordinator: 1_000, executor: 1_000, retrainer: 3_000 };

export interface BundleMeasurement {
  readonly name: HandlerName;
  readonly codeBytes: number;
  readonly mapBytes: number;
  readonly modelBytes: number;
  /** Input modules from @tensorflow/* in the bundle. */
  readonly tfjsModules: number;
  /** The AWS SDK packages the bundle imports (from the layer). */
  readonly sdkImports: readonly string[];
  readonly initMs: number;
}

/** Builds the AWS SDK layer into out/bench/bundles/aws-sdk-layer, as synth does. */
export const buildBenchLayer = (layerDir = LAYER_DIR): AwsSdkLayerBuild => {
  rmSync(layerDir, { recursive: true, force: true });
  return buildAwsSdkLayer(layerDir);
};

/** The esbuild options the stack bundles a function with (lib/spotwise-function.ts baseBundling), as esbuild takes them. */
export const functionBuildOptions = (name: HandlerName): BuildOptions => {
  const options = baseBundling(LAMBDA_BUNDLE_TARGET, name);
  return {
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
  };
};

/** Bundles a handler into `<outDir>/<name>/index.mjs`, with `node_modules` beside it pointing at the layer's. */
export const bundleHandler = async (
  name: HandlerName,
  outDir = OUT_DIR,
  layerDir = LAYER_DIR,
): Promise<{ readonly outfile: string; readonly metafile: Metafile }> => {
  const entry = resolve(PROJECT_ROOT, 'lambda/handlers', `${name}.ts`);
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    ...functionBuildOptions(name),
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  symlinkSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR), join(dir, 'node_modules'), 'dir');
  return { outfile, metafile: result.metafile };
};

/** The AWS SDK packages a bundle leaves to the layer (its external `@aws-sdk/` imports). */
const sdkImportsOf = (metafile: Metafile): string[] =>
  [...new Set(Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)))].sort();

/**
 * ms to import `file` in a fresh node process (measured inside it, so node's own start-up is left out), run
 * in the bundle's directory. Each run also resolves `layerPackages` there and fails unless every one of them
 * resolved into `layerModules`: a time measured against the project's node_modules would not be Lambda's.
 */
export const measureInitMs = (file: string, layerPackages: readonly string[] = [], layerModules = join(LAYER_DIR, AWS_SDK_LAYER_MODULES_DIR)): number => {
  const script = [
    'const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = performance.now() - t;',
    `const resolved = ${JSON.stringify(layerPackages)}.map((p) => [p, import.meta.resolve(p)]);`,
    'process.stdout.write(JSON.stringify({ ms, resolved }));',
  ].join(' ');
  const layerPrefix = layerPackages.length > 0 ? `${pathToFileURL(realpathSync(layerModules)).href}/` : '';
  const runs = Array.from({ length: INIT_RUNS }, () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dirname(file),
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let parsed: { ms: number; resolved: [string, string][] };
    try {
      parsed = JSON.parse(out.trim().split('\n').pop() ?? '') as typeof parsed;
    } catch (error) {
      throw new Error(`init of ${file}: the child printed ${JSON.stringify(out.slice(-200))}`, { cause: error });
    }
    if (!Number.isFinite(parsed.ms)) throw new Error(`init of ${file}: the child printed ${JSON.stringify(out.slice(-200))}`);
    const elsewhere = parsed.resolved.filter(([, url]) => !url.startsWith(layerPrefix));
    if (elsewhere.length > 0)
      throw new Error(`init of ${file}: ${elsewhere.map(([p, url]) => `${p} resolved to ${url}`).join(', ')}, not into the layer ${layerModules}`);
    return parsed.ms;
  });
  return percentile(runs, 50);
};

export const measureBundle = async (name: HandlerName): Promise<BundleMeasurement> => {
  const { outfile, metafile } = await bundleHandler(name);
  const modelDir = join(PROJECT_ROOT, DEFAULT_MODEL_DIR);
  const modelBytes =
    (name === 'profiler' || name === 'retrainer') && MODEL_FILES.every((f) => existsSync(join(modelDir, f)))
      ? MODEL_FILES.reduce((n, f) => n + statSync(join(modelDir, f)).size, 0)
      : 0;
  const sdkImports = sdkImportsOf(metafile);
  return {
    name,
    codeBytes: statSync(outfile).size,
    mapBytes: existsSync(`${outfile}.map`) ? statSync(`${outfile}.map`).size : 0,
    modelBytes,
    tfjsModules: Object.keys(metafile.inputs).filter((p) => p.includes('node_modules/@tensorflow/')).length,
    sdkImports,
    initMs: measureInitMs(outfile, sdkImports),
  };
};

const bytes = (n: number): string => n.toLocaleString('en-US');

export const runBundleBench = async (): Promise<BenchResult> => {
  const figures: Figure[] = [];
  const notes: string[] = [];
  progress('bundle: AWS SDK layer');
  const layer = buildBenchLayer();
  figures.push(figure('bundle.awsSdkLayer.bytes', layer.bytes, 'bytes', lessThan(UNZIPPED_QUOTA, 'bytes (Lambda: function + layers unzipped)')));
  const largest = Object.entries(layer.files).sort((a, b) => b[1] - a[1])[0];
  notes.push(
    `bundle awsSdkLayer: ${bytes(layer.bytes)} bytes in ${Object.keys(layer.files).length} files, loaded by all four functions; ` +
      `${Object.entries(layer.manifest.packages)
        .map(([p, v]) => `${p.replace('@aws-sdk/', '')} ${v}`)
        .join(', ')} (package-lock.json), each bundled whole` +
      `${largest !== undefined ? `; the largest file is ${largest[0].replace(`${AWS_SDK_LAYER_MODULES_DIR}/`, '')} (${bytes(largest[1])} bytes)` : ''}.`,
  );
  for (const name of HANDLER_NAMES) {
    if (!existsSync(resolve(PROJECT_ROOT, 'lambda/handlers', `${name}.ts`))) {
      notes.push(`bundle ${name}: lambda/handlers/${name}.ts does not exist, not measured.`);
      continue;
    }
    progress(`bundle: ${name}`);
    const m = await measureBundle(name);
    const own = m.codeBytes + m.modelBytes;
    figures.push(figure(`bundle.${name}.bytes`, own, 'bytes', lessThan(SIZE_TARGET[name], 'bytes')));
    figures.push(figure(`bundle.${name}.withLayerBytes`, own + layer.bytes, 'bytes', lessThan(UNZIPPED_QUOTA, 'bytes (Lambda: function + layers unzipped)')));
    figures.push(figure(`bundle.${name}.initMs`, m.initMs, 'ms', lessThan(INIT_TARGET_MS[name], 'ms')));
    if (name === 'notice') figures.push(figure('bundle.notice.tfjsModules', m.tfjsModules, 'modules', equalTo(0, 'no model on the notice path')));
    if ((name === 'profiler' || name === 'retrainer') && m.modelBytes === 0)
      notes.push(`bundle ${name}: no model artifact in ${DEFAULT_MODEL_DIR}: the size excludes the model.`);
    notes.push(
      `bundle ${name}: ${bytes(m.codeBytes)} bytes of code${m.modelBytes > 0 ? ` + ${bytes(m.modelBytes)} bytes of model files` : ''} (+ a ${bytes(m.mapBytes)}-byte source map), ${m.tfjsModules} tfjs modules; ` +
        `with the layer ${bytes(own + layer.bytes)} bytes; init imports ${m.sdkImports.length} SDK packages from the layer (${m.sdkImports.map((p) => p.replace('@aws-sdk/', '')).join(', ')}).`,
    );
  }
  return { figures, notes };
};
