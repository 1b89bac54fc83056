import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE_TARGET, LAMBDA_RUNTIME, esbuildTargetOf } from '../../lib/lambda-runtime';

describe('the Lambda runtime', () => {
  it('is the newest Node runtime aws-cdk-lib offers, and the bundles target it', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    expect(LAMBDA_BUNDLE_TARGET).toBe('node24');
  });

  it('maps Node.js runtimes to esbuild targets and refuses the others, naming them', () => {
    expect(esbuildTargetOf(Runtime.NODEJS_20_X)).toBe('node20');
    expect(() => esbuildTargetOf(Runtime.PYTHON_3_12)).toThrow('esbuildTargetOf: python3.12 is not a nodejs<major>.x runtime');
  });
});
