import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AWS_SDK_LAYER_PACKAGES } from '../../lib/aws-sdk-layer';
import { PROJECT_ROOT } from '../../lib/project-root';

/**
 * The AWS SDK module specifiers a source file loads at run time: `import ... from`, `export ... from` and
 * `import()`. Type-only imports are left out (esbuild erases them, so they never reach the layer).
 */
const awsSdkImportsOf = (fileName: string, text: string): string[] => {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      found.push(arg !== undefined && ts.isStringLiteralLike(arg) ? arg.text : `(computed import in ${fileName})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return found.filter((s) => s.startsWith('@aws-sdk/') || s.startsWith('(computed'));
};

const sourcesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('the AWS SDK layer covers the Lambda code', () => {
  const uses = sourcesUnder(join(PROJECT_ROOT, 'lambda')).flatMap((file) =>
    awsSdkImportsOf(file, readFileSync(file, 'utf8')).map((specifier) => ({ file: relative(PROJECT_ROOT, file), specifier })),
  );
  const listed: readonly string[] = AWS_SDK_LAYER_PACKAGES;

  it('every AWS SDK import under lambda/ is a package the layer holds (whole package names: the layer exports only ".")', () => {
    expect(uses.filter((u) => !listed.includes(u.specifier)).map((u) => `${u.file}: ${u.specifier}`)).toEqual([]);
  });

  it('every package the layer holds is imported by lambda/ (no dead weight loaded with every function)', () => {
    const imported = new Set(uses.map((u) => u.specifier));
    expect(listed.filter((pkg) => !imported.has(pkg))).toEqual([]);
  });

  it('sees value imports, re-exports and dynamic imports, and skips type-only imports', () => {
    const text = [
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      "import type { Message } from '@aws-sdk/client-sns';",
      "import { type AttributeValue } from '@aws-sdk/client-dynamodb';",
      "import { type X, GetObjectCommand } from '@aws-sdk/client-s3';",
      "export { KMSClient } from '@aws-sdk/client-kms';",
      "export type { Y } from '@aws-sdk/client-iam';",
      "import '@aws-sdk/client-sts';",
      "const m = await import('@aws-sdk/client-ssm');",
      "import { z } from 'zod';",
    ].join('\n');
    expect(awsSdkImportsOf('probe.ts', text)).toEqual([
      '@aws-sdk/client-sqs',
      '@aws-sdk/client-s3',
      '@aws-sdk/client-kms',
      '@aws-sdk/client-sts',
      '@aws-sdk/client-ssm',
    ]);
  });
});
