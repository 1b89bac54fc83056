import { Code, Function as LambdaFunction, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A minimal function to target in construct tests. */
export const dummyFunction = (scope: Construct, id: string): IFunction =>
  new LambdaFunction(scope, id, { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => {}') });

export const dummyQueue = (scope: Construct, id: string): IQueue => new Queue(scope, id);
