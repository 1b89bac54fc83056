import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createSpotwiseApp } from '../../lib/app';
import { PROJECT_ROOT } from '../../lib/project-root';
import { HANDLER_NAMES } from '../../lib/spotwise-function';
import type { SpotwiseStack } from '../../lib/spotwise-stack';

/**
 * The handlers directory the stack tests use: the real lambda/handlers once all four entries exist, else
 * stand-in entries (bundling is skipped in tests, so only the entry files' existence matters).
 */
export const testHandlersDir = (): string | undefined =>
  HANDLER_NAMES.every((h) => existsSync(join(PROJECT_ROOT, 'lambda/handlers', `${h}.ts`)))
    ? undefined
    : relative(PROJECT_ROOT, join(PROJECT_ROOT, 'test/lib/fixtures/handlers'));

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
  const handlersDir = testHandlersDir();
  const stack = createSpotwiseApp(app, handlersDir !== undefined ? { handlersDir } : {});
  return { app, stack, template: Template.fromStack(stack) };
};

/** A bare stack for testing one construct. */
export const bareStack = (): Stack => new Stack(testApp(), 'Test');

/** The logical ids of resources of a type whose properties match (for following references without hash suffixes). */
export const logicalIdsOf = (template: Template, type: string, props: Record<string, unknown> = {}): string[] =>
  Object.keys(template.findResources(type, Object.keys(props).length > 0 ? { Properties: props } : {}));
