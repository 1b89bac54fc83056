import { Runtime } from 'aws-cdk-lib/aws-lambda';

/**
 * The newest Node.js runtime aws-cdk-lib 2.276 offers (runtime.d.ts lists NODEJS_24_X last). Pinned rather
 * than NODEJS_LATEST, whose meaning moves with the aws-cdk-lib version and would change the template on
 * an unrelated upgrade.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** esbuild's target for a Node.js Lambda runtime: `nodejs24.x` → `node24`. */
export const esbuildTargetOf = (runtime: Runtime): string => {
  const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (major === undefined) throw new Error(`esbuildTargetOf: ${runtime.name} is not a nodejs<major>.x runtime`);
  return `node${major}`;
};

/** What the function bundles and the AWS SDK layer are compiled for: the runtime they run on. */
export const LAMBDA_BUNDLE_TARGET = esbuildTargetOf(LAMBDA_RUNTIME);

/**
 * First line of every ES-module bundle (the functions' and the layer's): bundled CommonJS dependencies get a
 * `require` (esbuild's ESM output otherwise throws "Dynamic require of ... is not supported").
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __spotwiseCreateRequire } from 'node:module'; const require = __spotwiseCreateRequire(import.meta.url);";
