import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** Lints source text as if it were a file under lambda/core/ and returns the messages. */
const lintAsCore = async (code: string) => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath: 'lambda/core/purity-probe.ts' });
  return result?.messages ?? [];
};

describe('lambda/core purity lint rule', () => {
  it.each([
    ["import { EC2Client } from '@aws-sdk/client-ec2';\nexport const c = EC2Client;", 'no AWS SDK'],
    ["import { App } from 'aws-cdk-lib';\nexport const a = App;", 'no CDK'],
    ["import { Logger } from '@aws-lambda-powertools/logger';\nexport const l = Logger;", 'no Powertools'],
    ["import * as tf from '@tensorflow/tfjs';\nexport const t = tf;", 'no tfjs'],
    ["import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", 'no I/O'],
    ["import { readFileSync } from 'fs';\nexport const r = readFileSync;", 'no I/O'],
    ['export const region = process.env.AWS_REGION;', 'no process.env'],
    ['export const t = Date.now();', 'no Date.now()'],
    ['export const t = new Date();', 'no new Date()'],
    ['export const r = Math.random();', 'no Math.random()'],
  ])('rejects %j (%s)', async (code, expected) => {
    const messages = await lintAsCore(code);
    expect(messages.map((m) => m.message).join('\n')).toContain(expected);
    expect(messages.some((m) => m.severity === 2)).toBe(true);
  });

  it('accepts pure code that takes time and randomness as parameters', async () => {
    const messages = await lintAsCore('export const later = (now: number, rnd: () => number): number => now + Math.floor(rnd() * 10);\n');
    expect(messages).toEqual([]);
  });

  it('does not apply the core rules outside lambda/core', async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    const [result] = await eslint.lintText('export const t = Date.now();\n', { filePath: 'lambda/adapters/system-clock.ts' });
    expect(result?.messages ?? []).toEqual([]);
  });
});
