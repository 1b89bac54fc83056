import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, createSpotwiseApp } from '../../lib/app';
import { ContextKey } from '../../lib/config/context-keys';
import { ValidationError } from '../../lambda/contracts/validation';
import { testApp } from './helpers';

describe('createSpotwiseApp', () => {
  it('builds an environment-agnostic stack named Spotwise by default: synth needs no account and makes no lookups', () => {
    const app = testApp();
    const stack = createSpotwiseApp(app);
    expect(stack.stackName).toBe(DEFAULT_STACK_NAME);
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    expect(stack.templateOptions.description).toBe(
      'spotwise: predictive spot-interruption manager (dry-run; config from spotwise.example.yaml (default: no configuration given))',
    );
    const assembly = app.synth();
    // No context lookups were needed (they would be listed as missing context).
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  it('pins the account and region when both are given, and takes the stack name from the context', () => {
    const stack = createSpotwiseApp(
      testApp({ [ContextKey.account]: '123456789012', [ContextKey.region]: 'eu-west-1', [ContextKey.stackName]: 'SpotwiseProd' }),
    );
    expect(stack.stackName).toBe('SpotwiseProd');
    expect(stack.account).toBe('123456789012');
    expect(stack.region).toBe('eu-west-1');
  });

  it.each([
    [{ [ContextKey.account]: '123456789012' }, 'invalid CDK context: region: give both account and region, or neither (got only account) (got nothing)'],
    [{ [ContextKey.region]: 'eu-west-1' }, 'invalid CDK context: account: give both account and region, or neither (got only region) (got nothing)'],
    [{ [ContextKey.account]: '1234', [ContextKey.region]: 'eu-west-1' }, 'invalid CDK context: account: expected a 12-digit AWS account id (got "1234")'],
    [{ [ContextKey.stackName]: '9lives' }, 'invalid CDK context: stack_name: expected a CloudFormation stack name'],
  ])('refuses the context %j, naming the key and the value', (context, message) => {
    expect(() => createSpotwiseApp(testApp(context))).toThrow(message);
  });

  it('fails the synth on an invalid configuration, naming the field and the value', () => {
    const config = { groups: [{ name: 'web', policy: 'web', capacity: { vcpu: 0, memory_gib: 8 } }], policies: [{ policy_name: 'web', priority: 'high' }] };
    const build = () => createSpotwiseApp(testApp({ [ContextKey.config]: config }));
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(/invalid spotwise configuration \(from context 'spotwise'\): groups\.0\.capacity\.vcpu: .* \(got 0\)/);
  });
});
