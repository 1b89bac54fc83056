import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AWS_SDK_LAYER_MANIFEST, AWS_SDK_LAYER_MODULES_DIR, AWS_SDK_LAYER_PACKAGES } from '../../lib/aws-sdk-layer';
import { PROJECT_ROOT } from '../../lib/project-root';

const temp = mkdtempSync(join(tmpdir(), 'spotwise-synth-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/**
 * Runs the CDK app the way the CLI does: `npx tsx bin/spotwise.ts` with the context in CDK_CONTEXT_JSON and
 * the output directory in CDK_OUTDIR (both read by `new App()`).
 */
const runApp = (context: Record<string, unknown>, outdir: string) =>
  spawnSync('npx', ['tsx', 'bin/spotwise.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('bin/spotwise.ts', () => {
  it('fails with exit code 1 and one line naming the field and the value when the configuration is invalid', () => {
    const config = {
      groups: [{ name: 'web-spot', policy: 'nope', capacity: { vcpu: 8, memory_gib: 32 } }],
      policies: [{ policy_name: 'web', priority: 'high' }],
    };
    const run = runApp({ spotwise: config, 'aws:cdk:bundling-stacks': [] }, join(temp, 'invalid'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `spotwise: invalid spotwise configuration (from context 'spotwise'): groups.0.policy: no policy named "nope" in policies (got "nope")`,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(temp, 'invalid', 'Spotwise.template.json'))).toBe(false);
  }, 120_000);

  it('names the file, line and column of a broken policy file', () => {
    const file = join(temp, 'broken.yaml');
    writeFileSync(file, 'policies:\n  - policy_name: web\n    priority: [high\n');
    const run = runApp({ policy: file, 'aws:cdk:bundling-stacks': [] }, join(temp, 'broken'));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`spotwise: ${file.replace(/[.]/g, '\\.')}: invalid YAML at line \\d+, column \\d+`));
  }, 120_000);
});

describe('npm run synth (the aws-cdk CLI 2.1148 on aws-cdk-lib 2.276, with esbuild bundling, offline)', () => {
  it('passes cdk-nag and the built-in validation, and writes the template, five bundles (the profiler and the retrainer with the model) and the AWS SDK layer', () => {
    const outdir = join(temp, 'cli');
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'Spotwise.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(5);
    // cdk-nag and CDK's own CloudFormation validation both ran and reported nothing.
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
    const all = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(all).toHaveLength(6);
    const layers = all.filter((d) => existsSync(join(outdir, d, AWS_SDK_LAYER_MANIFEST)));
    expect(layers).toHaveLength(1);
    for (const pkg of AWS_SDK_LAYER_PACKAGES)
      expect(existsSync(join(outdir, layers[0] as string, AWS_SDK_LAYER_MODULES_DIR, pkg, 'index.mjs')), pkg).toBe(true);
    const assets = all.filter((d) => !layers.includes(d));
    const withModel = assets.filter((d) => existsSync(join(outdir, d, 'model', 'model.json')));
    expect(withModel).toHaveLength(2);
    for (const d of withModel) expect(readdirSync(join(outdir, d, 'model')).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    for (const d of assets) expect(existsSync(join(outdir, d, 'index.mjs'))).toBe(true);
  }, 300_000);
});
