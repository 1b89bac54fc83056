import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_SDK_LAYER_CHUNKS_DIR,
  AWS_SDK_LAYER_MANIFEST,
  AWS_SDK_LAYER_MODULES_DIR,
  AWS_SDK_LAYER_PACKAGES,
  AwsSdkLayer,
  awsSdkLayerDescription,
  buildAwsSdkLayer,
  pinnedAwsSdkVersions,
  type AwsSdkLayerBuild,
} from '../../lib/aws-sdk-layer';
import { LAMBDA_BUNDLE_TARGET } from '../../lib/lambda-runtime';
import { PROJECT_ROOT } from '../../lib/project-root';
import { baseBundling } from '../../lib/spotwise-function';
import { bareStack } from './helpers';

/** Runs an ES-module script in a fresh node process in `cwd` (its bare imports resolve from there), with no inherited environment. */
const runModule = (cwd: string, script: string) => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};

/** A value every package must export, one its adapters use (and the client, for the shared-core check). */
const EXPECTED_EXPORTS: Readonly<Record<(typeof AWS_SDK_LAYER_PACKAGES)[number], readonly string[]>> = {
  '@aws-sdk/client-auto-scaling': ['AutoScalingClient', 'DescribeAutoScalingGroupsCommand'],
  '@aws-sdk/client-cloudwatch': ['CloudWatchClient', 'GetMetricDataCommand'],
  '@aws-sdk/client-dynamodb': ['DynamoDBClient', 'ConditionalCheckFailedException'],
  '@aws-sdk/client-ec2': ['EC2Client', 'DescribeInstancesCommand'],
  '@aws-sdk/client-eventbridge': ['EventBridgeClient', 'PutEventsCommand'],
  '@aws-sdk/client-pricing': ['PricingClient', 'GetProductsCommand'],
  '@aws-sdk/client-scheduler': ['SchedulerClient', 'CreateScheduleCommand'],
  '@aws-sdk/lib-dynamodb': ['DynamoDBDocumentClient', 'UpdateCommand'],
};

describe('the AWS SDK layer, built', () => {
  // Outside the project, so no ancestor node_modules can stand in for the layer.
  let temp: string;
  let layerDir: string;
  let built: AwsSdkLayerBuild;
  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'spotwise-layer-'));
    layerDir = join(temp, 'layer');
    built = buildAwsSdkLayer(layerDir);
  }, 120_000);
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  /** A directory whose node_modules is the layer's, as /opt/nodejs/node_modules is on Lambda. */
  const besideLayer = (name: string): string => {
    const dir = join(temp, name);
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR), join(dir, 'node_modules'), 'dir');
    return dir;
  };

  it('holds each package with the version package-lock.json pins, and a manifest of them', () => {
    const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    for (const pkg of AWS_SDK_LAYER_PACKAGES) {
      const packageJson = JSON.parse(readFileSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR, pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
      const installed = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
      expect(packageJson).toEqual({ name: pkg, version: installed, type: 'module', exports: './index.mjs', main: './index.mjs' });
      expect(installed).toBe(lock.packages[`node_modules/${pkg}`]?.version);
      expect(existsSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR, pkg, 'index.mjs'))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(layerDir, AWS_SDK_LAYER_MANIFEST), 'utf8'))).toEqual({
      packages: pinnedAwsSdkVersions(),
      target: LAMBDA_BUNDLE_TARGET,
    });
    expect(built.manifest.packages).toEqual(pinnedAwsSdkVersions());
  });

  it('is one module per package plus shared chunks, and counts every file it wrote', () => {
    const files = Object.keys(built.files);
    expect(files.filter((f) => f.endsWith('/index.mjs')).sort()).toEqual(
      AWS_SDK_LAYER_PACKAGES.map((p) => `${AWS_SDK_LAYER_MODULES_DIR}/${p}/index.mjs`).sort(),
    );
    expect(files.filter((f) => f.startsWith(`${AWS_SDK_LAYER_CHUNKS_DIR}/`)).length).toBeGreaterThan(0);
    expect(files.every((f) => f.startsWith('nodejs/'))).toBe(true);
    expect(built.bytes).toBe(Object.values(built.files).reduce((a, b) => a + b, 0));
    for (const [file, bytes] of Object.entries(built.files)) expect(readFileSync(join(layerDir, file)).length, file).toBe(bytes);
  });

  it('serves every package to a bare import in a fresh node, with the same exports as the installed package', () => {
    const dir = besideLayer('probe');
    const script = `
      const out = {};
      for (const pkg of ${JSON.stringify(AWS_SDK_LAYER_PACKAGES)}) out[pkg] = { resolved: import.meta.resolve(pkg), exports: Object.keys(await import(pkg)).sort() };
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      // One module instance of the shared core: every client extends the same smithy Client class.
      out.sharedClientBase = Object.getPrototypeOf(DynamoDBDocumentClient) === Object.getPrototypeOf(DynamoDBClient) && Object.getPrototypeOf(EC2Client) === Object.getPrototypeOf(DynamoDBClient);
      process.stdout.write(JSON.stringify(out));`;
    const run = runModule(dir, script);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Record<string, { resolved: string; exports: string[] }> & { sharedClientBase: boolean };
    // The installed package's CommonJS build lists the same names: the layer carries each package whole.
    const installed = createRequire(join(PROJECT_ROOT, 'package.json'));
    const layerModules = realpathSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR));
    for (const pkg of AWS_SDK_LAYER_PACKAGES) {
      expect(out[pkg]?.resolved).toBe(pathToFileURL(join(layerModules, pkg, 'index.mjs')).href);
      expect(out[pkg]?.exports).toEqual(expect.arrayContaining([...EXPECTED_EXPORTS[pkg]]));
      expect(out[pkg]?.exports).toEqual(
        Object.keys(installed(pkg) as object)
          .filter((k) => k !== '__esModule')
          .sort(),
      );
    }
    expect(out.sharedClientBase).toBe(true);
  }, 60_000);

  describe('the notice handler bundled as the stack bundles it', () => {
    let bundleDir: string;
    beforeAll(async () => {
      bundleDir = join(temp, 'notice-bundle');
      const b = baseBundling(LAMBDA_BUNDLE_TARGET, 'notice');
      await build({
        entryPoints: [join(PROJECT_ROOT, 'lambda/handlers/notice.ts')],
        outfile: join(bundleDir, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: b.target,
        mainFields: b.mainFields,
        minify: b.minify,
        banner: { js: b.banner },
        external: b.externalModules,
        logLevel: 'silent',
        absWorkingDir: PROJECT_ROOT,
      });
    }, 60_000);

    const importHandler = (dir: string) =>
      runModule(
        dir,
        `try { const m = await import(${JSON.stringify(pathToFileURL(join(bundleDir, 'index.mjs')).href)}); process.stdout.write(typeof m.handler); } catch (e) { process.stdout.write(\`\${e.code} \${/Cannot find package '([^']+)'/.exec(e.message)?.[1]}\`); }`,
      );

    it('cannot load without the layer: the SDK really is outside the bundle', () => {
      expect(importHandler(bundleDir)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^ERR_MODULE_NOT_FOUND @aws-sdk\/(client|lib)-[a-z-]+$/) });
    });

    it('loads with the layer beside it, and exports the handler', () => {
      symlinkSync(join(layerDir, AWS_SDK_LAYER_MODULES_DIR), join(bundleDir, 'node_modules'), 'dir');
      try {
        expect(importHandler(bundleDir)).toMatchObject({ status: 0, stdout: 'function' });
      } finally {
        rmSync(join(bundleDir, 'node_modules'));
      }
    }, 60_000);
  });
});

describe('AwsSdkLayer', () => {
  it('is a layer for Node 24 on arm64, described by the pinned versions, and is not built when the app skips bundling', () => {
    const stack = bareStack();
    const layer = new AwsSdkLayer(stack, 'AwsSdk');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
      LicenseInfo: 'Apache-2.0',
      Description: awsSdkLayerDescription(pinnedAwsSdkVersions()),
    });
    expect(layer.packages).toEqual(pinnedAwsSdkVersions());
  });

  it('groups the versions in its description, within the 256 characters Lambda allows', () => {
    const packages = pinnedAwsSdkVersions();
    const text = awsSdkLayerDescription(packages);
    expect(text.length).toBeLessThanOrEqual(256);
    for (const pkg of AWS_SDK_LAYER_PACKAGES) expect(text).toContain(pkg.replace('@aws-sdk/', ''));
    expect(awsSdkLayerDescription({ ...packages, '@aws-sdk/client-ec2': '3.1.0', '@aws-sdk/client-pricing': '3.1.0' })).toMatch(
      /; 3\.1\.0 client-ec2, client-pricing/,
    );
  });

  it('refuses a node_modules that differs from package-lock.json, naming the package and both versions', () => {
    const root = mkdtempSync(join(tmpdir(), 'spotwise-lock-'));
    try {
      const lock = { packages: Object.fromEntries(AWS_SDK_LAYER_PACKAGES.map((p) => [`node_modules/${p}`, { version: '3.1.0' }])) };
      lock.packages['node_modules/@aws-sdk/client-ec2'] = { version: '3.2.0' };
      for (const pkg of AWS_SDK_LAYER_PACKAGES) {
        mkdirSync(join(root, 'node_modules', pkg), { recursive: true });
        writeJson(join(root, 'node_modules', pkg, 'package.json'), { name: pkg, version: '3.1.0' });
      }
      writeJson(join(root, 'package-lock.json'), lock);
      expect(() => pinnedAwsSdkVersions(root)).toThrow(
        'AWS SDK layer: node_modules holds @aws-sdk/client-ec2 3.1.0 but package-lock.json pins 3.2.0; run `npm ci`',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const writeJson = (file: string, value: unknown): void => {
  writeFileSync(file, JSON.stringify(value));
};
