import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createSpotwiseApp } from '../../lib/app';
import type { SpotwiseStack } from '../../lib/spotwise-stack';

/**
 * An App for tests: esbuild skipped (DESIGN.md §8) and the built-in CloudFormation validation off (it costs
 * ~10 s per synth; test/bin runs the real `cdk synth` path with it on).
 */
export const testApp = (context: Record<string, unknown> = {}): App =>
  new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [], ...context } });

export interface Synthesized {
  readonly app: App;
  readonly stack: SpotwiseStack;
  readonly template: Template;
}

/** The whole spotwise app for a context, synthesized once (cdk-nag runs as part of it and fails on findings). */
export const synthSpotwise = (context: Record<string, unknown> = {}): Synthesized => {
  const app = testApp(context);
  const stack = createSpotwiseApp(app);
  return { app, stack, template: Template.fromStack(stack) };
};

/** A bare stack for testing one construct. */
export const bareStack = (): Stack => new Stack(testApp(), 'Test');

/** The logical ids of resources of a type whose properties match (for following references without hash suffixes). */
export const logicalIdsOf = (template: Template, type: string, props: Record<string, unknown> = {}): string[] =>
  Object.keys(template.findResources(type, Object.keys(props).length > 0 ? { Properties: props } : {}));
