import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from './project-root';
import { ESM_REQUIRE_BANNER, LAMBDA_BUNDLE_TARGET, LAMBDA_RUNTIME } from './lambda-runtime';

/**
 * The AWS SDK packages the Lambda code imports, and nothing else: each is one bundled module in the shared
 * layer and an external in every function bundle (lib/spotwise-function.ts baseBundling). A package missing
 * here would still work (esbuild bundles it into the function), but test/lint/aws-sdk-layer.test.ts fails
 * until it is listed, so the functions never carry a second copy of the SDK core beside the layer's.
 */
export const AWS_SDK_LAYER_PACKAGES = [
  '@aws-sdk/client-auto-scaling',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-pricing',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/lib-dynamodb',
] as const;
export type AwsSdkLayerPackage = (typeof AWS_SDK_LAYER_PACKAGES)[number];

/**
 * Layout of the layer zip. Lambda extracts layers into /opt; the Node.js runtimes resolve packages from
 * /opt/nodejs/node_modules ("Working with layers for Node.js Lambda functions", layer paths), and since Node.js 18
 * also for ES-module imports ("Building Lambda functions with Node.js", Designating a function handler as an
 * ES module: Lambda searches the folders of NODE_PATH, which lists the layer folders before
 * /var/runtime/node_modules). Chunks shared between the packages sit beside node_modules, not in it: they are
 * not packages, and each package reaches them by a relative import.
 */
export const AWS_SDK_LAYER_MODULES_DIR = 'nodejs/node_modules';
export const AWS_SDK_LAYER_CHUNKS_DIR = 'nodejs/spotwise-aws-sdk-chunks';
/** Which package versions the layer holds, written beside node_modules (read it in /opt/nodejs on Lambda). */
export const AWS_SDK_LAYER_MANIFEST = 'nodejs/spotwise-aws-sdk.json';

/** Lambda allows 256 characters in a layer version's description. */
const MAX_DESCRIPTION = 256;

export interface AwsSdkLayerManifest {
  /** Package name → version, as package-lock.json pins it (and node_modules holds it). */
  readonly packages: Readonly<Record<AwsSdkLayerPackage, string>>;
  readonly target: string;
}

export interface AwsSdkLayerBuild {
  readonly manifest: AwsSdkLayerManifest;
  /** Every file written, relative to the output directory, with its size. */
  readonly files: Readonly<Record<string, number>>;
  readonly bytes: number;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/**
 * The version of each layer package installed in node_modules, checked against package-lock.json. A
 * mismatch (an `npm install` that moved a version without updating the lockfile, or a stale node_modules)
 * fails the build: the layer must carry exactly the versions the adapters were tested with.
 */
export const pinnedAwsSdkVersions = (projectRoot: string = PROJECT_ROOT): Record<AwsSdkLayerPackage, string> => {
  const lock = readJson(join(projectRoot, 'package-lock.json')) as { packages?: Record<string, { version?: string }> };
  const entries = AWS_SDK_LAYER_PACKAGES.map((pkg) => {
    const installed = (readJson(join(projectRoot, 'node_modules', pkg, 'package.json')) as { version?: string }).version;
    const locked = lock.packages?.[`node_modules/${pkg}`]?.version;
    if (installed === undefined || installed !== locked) {
      throw new Error(`AWS SDK layer: node_modules holds ${pkg} ${installed ?? '(no version)'} but package-lock.json pins ${locked ?? 'none'}; run \`npm ci\``);
    }
    return [pkg, installed] as const;
  });
  return Object.fromEntries(entries) as Record<AwsSdkLayerPackage, string>;
};

/**
 * Builds the layer's content into `outputDir`: `nodejs/node_modules/<package>/index.mjs` with a package.json
 * for each package, the chunks they share, and the manifest.
 *
 * One esbuild run with code splitting over all the packages, so what they share is one module instance:
 * lib-dynamodb's DynamoDBDocumentClient wraps the very DynamoDBClient class the adapters import from
 * client-dynamodb, and the @smithy/@aws-sdk core is loaded once, whichever clients a function uses. Each
 * package is bundled whole (every command), not tree-shaken to what the handlers call: a package published
 * under its name and version must export its whole API, or the first adapter to use one more command breaks
 * at run time, not at synth. That has a measured price: client-ec2 alone is about 1 MB, and importing the
 * clients whole made init 55–90 ms slower on the bench machine than the bundled SDK; a layer cut to the
 * names lambda/ imports measured about 1.0 MB instead of 1.7 MB, with init near the bundled figure.
 *
 * ESM with the same createRequire banner as the functions (CommonJS dependencies inside the SDK call
 * `require`), `module` before `main` as in baseBundling.
 */
export const buildAwsSdkLayer = (outputDir: string, projectRoot: string = PROJECT_ROOT): AwsSdkLayerBuild => {
  const packages = pinnedAwsSdkVersions(projectRoot);
  const result = buildSync({
    entryPoints: AWS_SDK_LAYER_PACKAGES.map((pkg) => ({ in: pkg, out: `node_modules/${pkg}/index` })),
    outdir: join(outputDir, 'nodejs'),
    chunkNames: 'spotwise-aws-sdk-chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: LAMBDA_BUNDLE_TARGET,
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: projectRoot,
  });
  const manifest: AwsSdkLayerManifest = { packages, target: LAMBDA_BUNDLE_TARGET };
  const extra: Record<string, string> = { [AWS_SDK_LAYER_MANIFEST]: `${JSON.stringify(manifest, null, 2)}\n` };
  for (const pkg of AWS_SDK_LAYER_PACKAGES) {
    const packageJson = { name: pkg, version: packages[pkg], type: 'module', exports: './index.mjs', main: './index.mjs' };
    extra[`${AWS_SDK_LAYER_MODULES_DIR}/${pkg}/package.json`] = `${JSON.stringify(packageJson, null, 2)}\n`;
  }
  for (const [file, text] of Object.entries(extra)) {
    mkdirSync(dirname(join(outputDir, file)), { recursive: true });
    writeFileSync(join(outputDir, file), text);
  }
  // esbuild names its outputs relative to absWorkingDir; the layer's own paths are relative to outputDir.
  const outputs = Object.entries(result.metafile.outputs).map(([file, o]) => [relativeTo(join(projectRoot, file), outputDir), o.bytes] as const);
  const files = Object.fromEntries([...outputs, ...Object.entries(extra).map(([file, text]) => [file, Buffer.byteLength(text)] as const)]);
  return { manifest, files, bytes: Object.values(files).reduce((a, b) => a + b, 0) };
};

const relativeTo = (file: string, dir: string): string => {
  const prefix = `${join(dir)}/`;
  if (!file.startsWith(prefix)) throw new Error(`AWS SDK layer: esbuild wrote ${file} outside ${dir}`);
  return file.slice(prefix.length);
};

/**
 * The layer's description: the pinned versions, grouped by version to fit Lambda's 256 characters, e.g.
 * "spotwise AWS SDK v3 (package-lock.json): 3.1169.0 client-ec2, client-scheduler; 3.1162.0 lib-dynamodb".
 */
export const awsSdkLayerDescription = (packages: Readonly<Record<AwsSdkLayerPackage, string>>): string => {
  const byVersion = new Map<string, string[]>();
  for (const pkg of AWS_SDK_LAYER_PACKAGES) byVersion.set(packages[pkg], [...(byVersion.get(packages[pkg]) ?? []), pkg.replace(/^@aws-sdk\//, '')]);
  const groups = [...byVersion.entries()].map(([version, names]) => `${version} ${names.join(', ')}`);
  const text = `spotwise AWS SDK v3 (package-lock.json): ${groups.join('; ')}`;
  if (text.length > MAX_DESCRIPTION) throw new Error(`AWS SDK layer: the description is ${text.length} characters, Lambda allows ${MAX_DESCRIPTION}: ${text}`);
  return text;
};

/** Asset source of the layer: never read (the hash is of the output, bundling is local), so a small directory. */
const LAYER_ASSET_SOURCE = dirname(fileURLToPath(import.meta.url));

/**
 * The one Lambda layer every spotwise function carries: the AWS SDK packages of AWS_SDK_LAYER_PACKAGES at the
 * versions package-lock.json pins, built at synth by esbuild on this machine (no Docker). The asset hash is
 * the hash of the built files, so the layer gets a new version exactly when the SDK bytes change.
 *
 * Test apps skip bundling (context `aws:cdk:bundling-stacks: []`): CDK then stages the source directory
 * untouched under a placeholder hash and never calls the build.
 */
export class AwsSdkLayer extends Construct {
  readonly layer: LayerVersion;
  readonly packages: Readonly<Record<AwsSdkLayerPackage, string>>;

  constructor(scope: Construct, id: string, props: { readonly projectRoot?: string } = {}) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    this.packages = pinnedAwsSdkVersions(projectRoot);
    this.layer = new LayerVersion(this, 'Layer', {
      description: awsSdkLayerDescription(this.packages),
      // The AWS SDK for JavaScript v3 is Apache-2.0 (each package's package.json "license").
      license: 'Apache-2.0',
      compatibleRuntimes: [LAMBDA_RUNTIME],
      compatibleArchitectures: [Architecture.ARM_64],
      code: Code.fromAsset(LAYER_ASSET_SOURCE, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Required by the type, never pulled: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs20.x'),
          local: {
            tryBundle: (outputDir: string): boolean => {
              buildAwsSdkLayer(outputDir, projectRoot);
              return true;
            },
          },
        },
      }),
    });
  }
}
