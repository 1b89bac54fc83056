import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const lintAs = async (filePath: string, code: string) => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return result?.messages ?? [];
};

describe('bundle-friendly zod imports', () => {
  it.each([['lambda/handlers/probe.ts'], ['lambda/core/policy/probe.ts'], ['lib/probe.ts'], ['bin/probe.ts']])(
    'rejects the named `z` export in %s (it bundles every zod locale), naming the fix',
    async (filePath) => {
      const messages = await lintAs(filePath, "import { z } from 'zod';\nexport const s = z.string();\n");
      expect(messages).toEqual([expect.objectContaining({ severity: 2, message: expect.stringContaining("import * as z from 'zod'") })]);
    },
  );

  it('accepts the namespace import, and keeps the core purity rules beside it', async () => {
    expect(await lintAs('lambda/core/policy/probe.ts', "import * as z from 'zod';\nexport const s = z.string();\n")).toEqual([]);
    const core = await lintAs('lambda/core/policy/probe.ts', "import * as z from 'zod';\nexport const s = [z.string(), Date.now()];\n");
    expect(core.map((m) => m.message).join('\n')).toContain('no Date.now()');
  });
});
