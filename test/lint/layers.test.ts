import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const lintAs = async (filePath: string, code: string) => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return result?.messages ?? [];
};

/**
 * The layers of lambda/ (eslint.config.js LAYER_FORBIDS): a layer imports only from the layers below it. Each row
 * is a file of one layer importing from another: refused when the other is not below it, with a message naming both.
 */
describe('lambda/ layer rule', () => {
  it.each([
    ['lambda/contracts/probe.ts', '../core/domain', false],
    ['lambda/core/predict/probe.ts', '../../ports/predictor', false],
    ['lambda/core/planner/probe.ts', '../../events/registry', false],
    ['lambda/core/planner/probe.ts', '../../contracts/events', true],
    ['lambda/core/planner/probe.ts', '../pool/resource-pool', true],
    ['lambda/ports/probe.ts', '../adapters/errors', false],
    ['lambda/ports/probe.ts', '../core/domain', true],
    ['lambda/events/parsers/probe.ts', '../../adapters/errors', false],
    ['lambda/events/parsers/probe.ts', '../../ports/interruption-scheduler', true],
    ['lambda/adapters/probe.ts', '../events/parsers/interruption-due', false],
    ['lambda/adapters/probe.ts', '../app/load-fleet', false],
    ['lambda/app/probe.ts', '../handlers/notice', false],
    ['lambda/app/probe.ts', '../sim/random', false],
    ['lambda/app/probe.ts', '../adapters/errors', true],
    ['lambda/handlers/probe.ts', '../app/run-plan', true],
    ['lambda/adapters/probe.ts', '../contracts/events', true],
    ['lambda/handlers/probe.ts', '../sim/random', false],
    ['lambda/handlers/probe.ts', '../events/registry', true],
    ['lambda/sim/engine/probe.ts', '../../handlers/notice', true],
    ['lambda/sim/engine/probe.ts', '../../data/random', true],
    ['lambda/data/traces/probe.ts', '../../core/domain', true],
    ['lambda/data/traces/probe.ts', '../../sim/sample-fleet', false],
    ['lambda/handlers/probe.ts', '../data/random', false],
    // Inside the core: common → coordinator | staging → planner.
    ['lambda/core/common/probe.ts', '../planner/plan-notice', false],
    ['lambda/core/common/probe.ts', '../coordinator/plan-request', false],
    ['lambda/core/coordinator/probe.ts', '../planner/plan-notice', false],
    ['lambda/core/staging/probe.ts', '../planner/absorb-load', false],
    ['lambda/core/staging/probe.ts', '../common/plan-pool', true],
    ['lambda/core/planner/probe.ts', '../coordinator/plan-request', true],
  ] as const)('%s importing %s: allowed %s', async (filePath, source, allowed) => {
    const messages = await lintAs(filePath, `import { x } from '${source}';\nexport const y = x;\n`);
    if (allowed) {
      expect(messages).toEqual([]);
    } else {
      const parts = filePath.split('/');
      const inCore = parts[1] === 'core' && ['common', 'coordinator', 'staging'].includes(parts[2] ?? '') && !source.startsWith('../../');
      const where = inCore ? `lambda/core/${parts[2]}` : `lambda/${parts[1]}`;
      expect(messages).toEqual([
        expect.objectContaining({ severity: 2, ruleId: 'no-restricted-imports', message: expect.stringContaining(`${where} may not import from`) }),
      ]);
    }
  });

  it.each([
    ['models/src/probe.ts', '../../lambda/data/traces/load-traces', true],
    ['models/src/probe.ts', '../../lambda/core/domain', true],
    ['models/src/probe.ts', '../../lambda/sim/random', false],
    ['models/src/probe.ts', '../../lambda/app/load-fleet', false],
    ['bin/commands/probe.ts', '../../lambda/app/load-fleet', true],
    ['bin/commands/probe.ts', '../../lambda/sim/simulate', true],
    ['bin/commands/probe.ts', '../../lambda/handlers/notice', false],
  ] as const)('outside lambda/: %s importing %s: allowed %s', async (filePath, source, allowed) => {
    const messages = await lintAs(filePath, `import { x } from '${source}';\nexport const y = x;\n`);
    if (allowed) expect(messages).toEqual([]);
    else
      expect(messages).toEqual([
        expect.objectContaining({
          severity: 2,
          ruleId: 'no-restricted-imports',
          message: expect.stringContaining(`${filePath.split('/')[0]}/ may not import from lambda/`),
        }),
      ]);
  });

  it.each([['lambda/core/planner/probe.ts'], ['lambda/core/common/probe.ts']])("keeps the core's purity rule beside the layer rules (%s)", async (filePath) => {
    const messages = await lintAs(filePath, "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const c = EC2Client;\n");
    expect(messages.map((m) => m.message).join('\n')).toContain('no AWS SDK');
  });
});
