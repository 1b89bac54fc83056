import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureInitMs } from '../../bench/bundle-bench';
import { PROJECT_ROOT } from '../../lib/project-root';

/**
 * The init time is Lambda's only if the SDK comes from the layer: a bench bundle sits inside the project, whose
 * node_modules would answer the same imports if the layer link were missing. measureInitMs must refuse that.
 */
describe('measureInitMs', () => {
  let temp: string;
  let file: string;
  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'spotwise-init-'));
    mkdirSync(join(temp, 'fn'));
    file = join(temp, 'fn', 'index.mjs');
    writeFileSync(file, "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const handler = () => EC2Client.name;\n");
    // Stands in for the layer: the project's installed SDK, reached through a link beside the bundle.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(temp, 'fn', 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('times the import when every package resolves into the given layer', () => {
    expect(measureInitMs(file, ['@aws-sdk/client-ec2'], join(PROJECT_ROOT, 'node_modules'))).toBeGreaterThan(0);
  }, 60_000);

  it('fails, naming the package and where it resolved, when a package comes from anywhere else', () => {
    const elsewhere = join(temp, 'empty-layer');
    mkdirSync(elsewhere);
    expect(() => measureInitMs(file, ['@aws-sdk/client-ec2'], elsewhere)).toThrow(
      /@aws-sdk\/client-ec2 resolved to file:\/\/.*\/node_modules\/@aws-sdk\/client-ec2\/.*, not into the layer /,
    );
  }, 60_000);
});
