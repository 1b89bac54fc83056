// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports the pure core must never reach: I/O, cloud SDKs, the model runtime (STYLE.md habit 1). */
export const impureImportPatterns = [
  { group: ['@aws-sdk/*', '@smithy/*'], message: 'lambda/core is pure: no AWS SDK (use a port).' },
  { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'lambda/core is pure: no CDK.' },
  { group: ['@aws-lambda-powertools/*'], message: 'lambda/core is pure: no Powertools (handlers log and emit metrics).' },
  { group: ['@tensorflow/*'], message: 'lambda/core is pure: no tfjs (the model sits behind the Predictor port).' },
  { group: ['node:fs', 'fs', 'node:fs/*', 'fs/*', 'node:child_process', 'node:net', 'node:http', 'node:https'], message: 'lambda/core is pure: no I/O.' },
];

export const impureSyntax = [
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'lambda/core is pure: no process.env (config arrives as parameters).' },
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'lambda/core is pure: no Date.now() (take `now` as a parameter).' },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'lambda/core is pure: no new Date() without an argument (take `now` as a parameter).' },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'lambda/core is pure: no Math.random() (take a seeded random source).' },
];

/**
 * zod 4's `z` export drags every locale (264 KB minified) into a Lambda bundle; `import * as z from 'zod'` lets
 * esbuild keep only what is used (bench: bundle.*.bytes).
 */
export const bundleFriendlyImports = [
  {
    selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
    message: "import * as z from 'zod': the named `z` export bundles every zod locale (about 260 KB per Lambda).",
  },
];

/**
 * The layers of lambda/, lowest first: contracts (event and configuration shapes) → core (pure decisions) → ports
 * (interfaces) → events (parsers) and adapters (AWS), side by side → app (the services every entry point shares:
 * loading the fleet, running a plan, telemetry) → handlers (the four Lambda entry points) → sim. data (real usage
 * traces and seeded randomness, on contracts and core only) serves the simulator and models/, never a Lambda. A layer imports only from layers below it (README, "Layout"). Matched on the relative import path: an import
 * that climbs out of its folder into a layer it may not use.
 */
const LAYER_FORBIDS = {
  contracts: ['core', 'ports', 'events', 'adapters', 'data', 'app', 'handlers', 'sim'],
  core: ['ports', 'events', 'adapters', 'data', 'app', 'handlers', 'sim'],
  ports: ['events', 'adapters', 'data', 'app', 'handlers', 'sim'],
  events: ['adapters', 'data', 'app', 'handlers', 'sim'],
  adapters: ['events', 'data', 'app', 'handlers', 'sim'],
  data: ['ports', 'events', 'adapters', 'app', 'handlers', 'sim'],
  app: ['data', 'handlers', 'sim'],
  handlers: ['data', 'sim'],
};
export const layerPatterns = (layer) => [
  {
    regex: `^(\\.\\./)+(${LAYER_FORBIDS[layer].join('|')})(/|$)`,
    message: `lambda/${layer} may not import from lambda/{${LAYER_FORBIDS[layer].join(',')}} (layers: contracts → core → ports → events | adapters → app → handlers → sim; data (traces, seeded randomness) → sim).`,
  },
];

/**
 * Inside the core: common/ holds what every planner uses (locating instances, post-restart estimates, reservation
 * terms, the in-plan pool); planner/ dispatches notices to coordinator/ and staging/, which never import planner/.
 */
const CORE_FOLDER_FORBIDS = {
  common: ['planner', 'coordinator', 'staging'],
  coordinator: ['planner'],
  staging: ['planner'],
};
const coreFolderPatterns = (folder) => [
  {
    regex: `^\\.\\./(${CORE_FOLDER_FORBIDS[folder].join('|')})/`,
    message: `lambda/core/${folder} may not import from lambda/core/{${CORE_FOLDER_FORBIDS[folder].join(',')}} (in the core: common → coordinator | staging → planner).`,
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'out/**', '.tools/**', 'models/**/*.json', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['lambda/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...bundleFriendlyImports],
    },
  },
  // Outside lambda/: the model's training and evaluation use the domain, the adapters' model loader and the traces
  // (lambda/data), never the simulator, the app layer or a Lambda; the CLI uses the app layer and the simulator,
  // never a Lambda entry point.
  {
    files: ['models/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+lambda/(sim|app|handlers)(/|$)', message: 'models/ may not import from lambda/{sim,app,handlers}: traces and seeded randomness are in lambda/data.' }] }],
    },
  },
  {
    files: ['bin/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+lambda/handlers(/|$)', message: 'bin/ may not import from lambda/handlers (the Lambda entry points): what they share is in lambda/app.' }] }],
    },
  },
  ...Object.keys(LAYER_FORBIDS).filter((layer) => layer !== 'core').map((layer) => ({
    files: [`lambda/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(layer) }] },
  })),
  {
    files: ['lambda/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...impureImportPatterns, ...layerPatterns('core')] }],
      'no-restricted-syntax': ['error', ...impureSyntax, ...bundleFriendlyImports],
    },
  },
  ...Object.keys(CORE_FOLDER_FORBIDS).map((folder) => ({
    files: [`lambda/core/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...impureImportPatterns, ...layerPatterns('core'), ...coreFolderPatterns(folder)] }] },
  })),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
