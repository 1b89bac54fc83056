import type { ZodError, ZodType } from 'zod';

/** A validation failure whose message names each bad field (dotted path) and the value found there. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly subject: string,
    readonly issues: readonly { readonly path: string; readonly value: unknown; readonly message: string }[],
  ) {
    super(`invalid ${subject}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message} (got ${describeValue(i.value)})`).join('; ')}`);
  }
}

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  // JSON.stringify turns NaN and ±Infinity into null: name numbers as they are.
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown => {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
};

/** Turns a ZodError into a ValidationError naming every field and its value in `input`. */
export const toValidationError = (subject: string, error: ZodError, input: unknown): ValidationError =>
  new ValidationError(
    subject,
    error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      value: valueAt(input, issue.path),
      message: issue.message,
    })),
  );

/** Parses `input` with `schema`, throwing a ValidationError that names the field and value on failure. */
export const parseWith = <T>(schema: ZodType<T>, subject: string, input: unknown): T => {
  const result = schema.safeParse(input);
  if (!result.success) throw toValidationError(subject, result.error, input);
  return result.data;
};
