import { App, type Environment } from 'aws-cdk-lib';
import { ValidationError } from '../lambda/contracts/validation';
import { ContextKey } from './config/context-keys';
import { loadSpotwiseConfig, readStringContext } from './config/load-config';
import { applyAwsSolutionsChecks } from './nag';
import { SpotwiseStack, type SpotwiseStackProps } from './spotwise-stack';

/** The stack name when `-c stack_name=...` is not given. */
export const DEFAULT_STACK_NAME = 'Spotwise';

export type SpotwiseAppOptions = Omit<SpotwiseStackProps, 'loaded' | 'env'>;

/**
 * Builds the spotwise app from its context: loads and validates the configuration (an invalid one throws a
 * ValidationError naming the field and the value, which fails `cdk synth`), creates the stack, and applies
 * the cdk-nag AwsSolutions checks. The stack is environment-agnostic unless both `account` and `region` are
 * given, so synth never needs credentials or lookups.
 */
export const createSpotwiseApp = (app: App, options: SpotwiseAppOptions = {}): SpotwiseStack => {
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const stackName = readStringContext(context, ContextKey.stackName) ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,100}$/.test(stackName)) {
    throw new ValidationError('CDK context', [
      {
        path: ContextKey.stackName,
        value: stackName,
        message: 'expected a CloudFormation stack name: a letter, then letters, digits or hyphens (at most 101 characters, room for the demo group suffixes)',
      },
    ]);
  }
  const account = readStringContext(context, ContextKey.account);
  const region = readStringContext(context, ContextKey.region);
  if ((account === undefined) !== (region === undefined)) {
    throw new ValidationError('CDK context', [
      {
        path: account === undefined ? ContextKey.account : ContextKey.region,
        value: undefined,
        message: `give both ${ContextKey.account} and ${ContextKey.region}, or neither (got only ${account === undefined ? ContextKey.region : ContextKey.account})`,
      },
    ]);
  }
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new ValidationError('CDK context', [{ path: ContextKey.account, value: account, message: 'expected a 12-digit AWS account id' }]);
  }
  const env: Environment | undefined = account !== undefined && region !== undefined ? { account, region } : undefined;

  const loaded = loadSpotwiseConfig({ context, stackName });
  const stack = new SpotwiseStack(app, stackName, {
    ...options,
    loaded,
    ...(env !== undefined ? { env } : {}),
    description:
      `spotwise: predictive spot-interruption manager (${loaded.config.dry_run ? 'dry-run' : 'active'}; config from ${loaded.sources.join(' + ')})`.slice(
        0,
        1024,
      ),
  });
  applyAwsSolutionsChecks(app);
  return stack;
};
