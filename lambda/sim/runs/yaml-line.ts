import { isCollection, LineCounter, parseDocument } from 'yaml';

/**
 * The 1-based line where the value at a dotted path ("groups.0.capacity.vcpu") sits in YAML text — or,
 * when that key is missing, where its nearest present parent sits. Undefined when the text has several
 * documents or the path reaches nothing (the message then names the field alone).
 */
export const lineOfPath = (text: string, path: string): number | undefined => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) return undefined;
  const keys = path === '' ? [] : path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    const range = (node as { range?: readonly number[] } | undefined)?.range;
    if (node !== undefined && range !== undefined && (n === keys.length || isCollection(node))) return lineCounter.linePos(range[0] ?? 0).line;
  }
  return undefined;
};
