import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { AWS_SDK_LAYER_MODULES_DIR, AWS_SDK_LAYER_PACKAGES, AwsSdkLayer, buildAwsSdkLayer } from '../../lib/aws-sdk-layer';
import { LAMBDA_BUNDLE_TARGET } from '../../lib/lambda-runtime';
import { PROJECT_ROOT } from '../../lib/project-root';
import { EXTERNAL_MODULES, SpotwiseFunction, baseBundling, type HandlerName, type SpotwiseFunctionProps } from '../../lib/spotwise-function';
import { bareStack, logicalIdsOf } from './helpers';

const props = (stack: Stack, over: Partial<SpotwiseFunctionProps> = {}): SpotwiseFunctionProps => ({
  handlerName: 'notice',
  entry: join(PROJECT_ROOT, 'lambda/handlers/notice.ts'),
  projectRoot: PROJECT_ROOT,
  awsSdkLayer: new AwsSdkLayer(stack, 'AwsSdk').layer,
  description: 'test',
  memorySize: 256,
  timeout: Duration.seconds(30),
  environment: {},
  retryAttempts: 2,
  maxEventAge: Duration.minutes(5),
  ...over,
});

describe('SpotwiseFunction props', () => {
  it.each([
    [{ memorySize: 127 }, 'memorySize must be an integer between 128 and 10240 MB (got 127)'],
    [{ memorySize: 10_241 }, 'memorySize must be an integer between 128 and 10240 MB (got 10241)'],
    [{ memorySize: 256.5 }, 'memorySize must be an integer between 128 and 10240 MB (got 256.5)'],
    [{ timeout: Duration.seconds(901) }, 'timeout must be between 1 and 900 seconds (got 901)'],
    [{ retryAttempts: 3 }, 'retryAttempts must be 0, 1 or 2 (got 3)'],
    [{ retryAttempts: -1 }, 'retryAttempts must be 0, 1 or 2 (got -1)'],
    [{ heapMiB: 63 }, 'heapMiB must be an integer between 64 and three quarters of memorySize 256 MB (got 63)'],
    [{ heapMiB: 193 }, 'heapMiB must be an integer between 64 and three quarters of memorySize 256 MB (got 193)'],
    [{ maxEventAge: Duration.seconds(59) }, 'maxEventAge must be between 60 seconds and 6 hours (got 59 seconds)'],
    [{ maxEventAge: Duration.seconds(6 * 3600 + 1) }, 'maxEventAge must be between 60 seconds and 6 hours (got 21601 seconds)'],
  ])('refuses %j', (over, message) => {
    const stack = bareStack();
    expect(() => new SpotwiseFunction(stack, 'Fn', props(stack, over as Partial<SpotwiseFunctionProps>))).toThrow(`SpotwiseFunction Test/Fn: ${message}`);
  });

  it('carries the AWS SDK layer it is given', () => {
    const stack = bareStack();
    new SpotwiseFunction(stack, 'Fn', props(stack));
    const template = Template.fromStack(stack);
    const [layer] = logicalIdsOf(template, 'AWS::Lambda::LayerVersion');
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: [{ Ref: layer }], Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
      Description: Match.stringLikeRegexp('package-lock.json'),
    });
  });
});

/**
 * The bundles, built with the same esbuild settings NodejsFunction uses (lib/spotwise-function.ts
 * baseBundling): the notice path must stay free of tfjs (it runs within the 120 s spot warning; loading a
 * model there would cost seconds), and the profiler and the retrainer must carry it.
 */
const buildBundle = async (handler: HandlerName, outfile?: string) => {
  const b = baseBundling(LAMBDA_BUNDLE_TARGET, handler);
  return build({
    entryPoints: [join(PROJECT_ROOT, 'lambda/handlers', `${handler}.ts`)],
    bundle: true,
    ...(outfile === undefined ? { write: false } : { outfile }),
    metafile: true,
    external: b.externalModules,
    platform: 'node',
    format: 'esm',
    target: b.target,
    mainFields: b.mainFields,
    banner: { js: b.banner },
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  });
};
const bundleInputs = async (handler: HandlerName): Promise<string[]> => Object.keys((await buildBundle(handler)).metafile.inputs);

describe('bundles', () => {
  it('the notice bundle contains no tfjs', async () => {
    const inputs = await bundleInputs('notice');
    expect(inputs.some((p) => p.includes('lambda/handlers/notice.ts'))).toBe(true);
    expect(inputs.filter((p) => p.includes('@tensorflow'))).toEqual([]);
  });

  it.each(['profiler', 'retrainer'] as const)('the %s bundle carries tfjs', async (handler) => {
    const inputs = await bundleInputs(handler);
    expect(inputs.some((p) => p.includes('@tensorflow/tfjs-core'))).toBe(true);
  });

  it.each(['profiler', 'retrainer'] as const)(
    'the %s bundle leaves node-fetch out and still loads (with the AWS SDK layer beside it, as on Lambda)',
    async (handler) => {
      expect(EXTERNAL_MODULES[handler]).toEqual(['node-fetch']);
      const inputs = await bundleInputs(handler);
      expect(inputs.filter((p) => /node_modules\/(node-fetch|whatwg-url|tr46)\//.test(p))).toEqual([]);
      const dir = mkdtempSync(join(tmpdir(), 'spotwise-bundle-'));
      try {
        const outfile = join(dir, 'index.mjs');
        await buildBundle(handler, outfile);
        buildAwsSdkLayer(join(dir, 'layer'));
        symlinkSync(join(dir, 'layer', AWS_SDK_LAYER_MODULES_DIR), join(dir, 'node_modules'), 'dir');
        // Evaluating the bundle (Lambda's init) must not reach the missing module.
        const script = `const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(typeof m.handler);`;
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        expect(out).toBe('function');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it.each(['profiler', 'notice', 'coordinator', 'executor', 'retrainer'] as const)(
    "the %s bundle imports the layer's SDK packages and carries none of them",
    async (handler) => {
      const b = baseBundling(LAMBDA_BUNDLE_TARGET, handler);
      expect(b.externalModules).toEqual([...AWS_SDK_LAYER_PACKAGES, ...EXTERNAL_MODULES[handler]]);
      const result = await buildBundle(handler);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((p) => AWS_SDK_LAYER_PACKAGES.some((pkg) => p.includes(`node_modules/${pkg}/`)))).toEqual([]);
      const externalSdk = new Set(
        Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)),
      );
      expect(externalSdk.size).toBeGreaterThan(0);
      expect([...externalSdk].filter((p) => !(AWS_SDK_LAYER_PACKAGES as readonly string[]).includes(p))).toEqual([]);
    },
  );
});
