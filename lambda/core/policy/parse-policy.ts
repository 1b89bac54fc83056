import { parseAllDocuments } from 'yaml';
import { ValidationError, toValidationError } from '../../contracts/validation';
import type { ShapingPolicy } from '../domain';
import { shapingPolicyYamlSchema, toShapingPolicy } from './policy-schema';

/**
 * Shaping policies from YAML (seed 9848041's resource-shaping policy, extended). A file may hold one
 * policy, a list of policies, a mapping with a single `policies:` list, or several `---` documents
 * of any of those. Every problem in the file is reported at once, each naming its field path
 * (`policies.<n>.<field>`, n counting policies across documents) and the value found there.
 */

/** The policy a group gets when none is configured: the schema defaults with medium priority. */
export const DEFAULT_POLICY: ShapingPolicy = Object.freeze(
  toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'default', priority: 'medium' })),
);

type Issue = ValidationError['issues'][number];

const subjectOf = (source?: string): string => (source ? `shaping policies (${source})` : 'shaping policies');

/** The policies a YAML document holds, as raw values, or an issue when its shape is none of the accepted ones. */
const policiesIn = (doc: unknown, docIndex: number, docCount: number): { policies: unknown[] } | { issue: Issue } => {
  if (Array.isArray(doc)) return { policies: doc };
  if (doc !== null && typeof doc === 'object') {
    const keys = Object.keys(doc);
    if (keys.length === 1 && keys[0] === 'policies') {
      const list = (doc as { policies: unknown }).policies;
      if (Array.isArray(list)) return { policies: list };
      return { issue: { path: docCount > 1 ? `document ${docIndex + 1}.policies` : 'policies', value: list, message: 'expected a list of policies' } };
    }
    return { policies: [doc] };
  }
  const where = docCount > 1 ? `document ${docIndex + 1}` : '';
  return { issue: { path: where, value: doc, message: 'expected a policy, a list of policies or a mapping with a policies list' } };
};

/**
 * Validates already-parsed policies (e.g. cdk.json context) against the schema, rejecting
 * duplicate policy_name values; throws one ValidationError listing every issue.
 */
export const parsePolicies = (raw: readonly unknown[], source?: string): ShapingPolicy[] => {
  const issues: Issue[] = [];
  const policies: ShapingPolicy[] = [];
  const firstIndexByName = new Map<string, number>();
  raw.forEach((candidate, i) => {
    const result = shapingPolicyYamlSchema.safeParse(candidate);
    const rawName = (candidate as { policy_name?: unknown } | null)?.policy_name;
    if (!result.success) {
      // Remember the name of an invalid policy too, so a duplicate of it is reported in the same run.
      if (typeof rawName === 'string' && !firstIndexByName.has(rawName)) firstIndexByName.set(rawName, i);
      for (const issue of toValidationError('policy', result.error, candidate).issues) {
        issues.push({ ...issue, path: issue.path ? `policies.${i}.${issue.path}` : `policies.${i}` });
      }
      return;
    }
    const name = result.data.policy_name;
    const first = firstIndexByName.get(name);
    if (first !== undefined) {
      issues.push({ path: `policies.${i}.policy_name`, value: name, message: `duplicate policy name (first defined at policies.${first})` });
      return;
    }
    firstIndexByName.set(name, i);
    policies.push(toShapingPolicy(result.data));
  });
  if (raw.length === 0) issues.push({ path: 'policies', value: [], message: 'expected at least one policy' });
  if (issues.length > 0) throw new ValidationError(subjectOf(source), issues);
  return policies;
};

/** The first line of a yaml error without its " at line L, column C:" suffix (the path carries the position). */
const stripPosition = (message: string): string => (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');

/**
 * Parses YAML text into validated shaping policies. YAML syntax errors (bad indentation, duplicate
 * keys, unterminated strings) are reported with their line and column and the offending line's text;
 * schema violations with the field path and value, e.g.
 * `policies.0.behavior.eviction_threshold: Too big: expected number to be <=1 (got 1.5)`.
 * Aliases are capped by the yaml library (maxAliasCount), so an alias bomb is an error, not a hang.
 */
export const parsePoliciesYaml = (text: string, source?: string): ShapingPolicy[] => {
  const parsed = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const lines = text.split(/\r?\n/);
  const syntaxIssues: Issue[] = docs.flatMap((doc) =>
    doc.errors.map((e): Issue => {
      const pos = e.linePos?.[0];
      return pos
        ? { path: `line ${pos.line} column ${pos.col}`, value: lines[pos.line - 1]?.trim(), message: stripPosition(e.message) }
        : { path: '(yaml)', value: undefined, message: stripPosition(e.message) };
    }),
  );
  if (syntaxIssues.length > 0) throw new ValidationError(subjectOf(source), syntaxIssues);

  const values: unknown[] = [];
  for (const doc of docs) {
    try {
      values.push(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      throw new ValidationError(subjectOf(source), [{ path: '(yaml)', value: undefined, message: e instanceof Error ? e.message : String(e) }]);
    }
  }
  // An empty document (a trailing `---`, a comment-only file) parses as null: not a policy, not an error.
  const nonEmpty = values.filter((v) => v !== null && v !== undefined);
  const raw: unknown[] = [];
  const shapeIssues: Issue[] = [];
  nonEmpty.forEach((doc, i) => {
    const found = policiesIn(doc, i, nonEmpty.length);
    if ('issue' in found) shapeIssues.push(found.issue);
    else raw.push(...found.policies);
  });
  if (shapeIssues.length > 0) throw new ValidationError(subjectOf(source), shapeIssues);
  return parsePolicies(raw, source);
};
