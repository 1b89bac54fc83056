/**
 * Splits CSV text into rows of fields. The dataset files are plain (no quoted commas), but a quoted
 * field is still honoured so a hand-edited fixture cannot shift columns silently. Blank lines are dropped;
 * a trailing CR (Windows line ends) is stripped.
 */
export const parseCsvLines = (text: string): string[][] => {
  const rows: string[][] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') continue;
    rows.push(line.includes('"') ? splitQuoted(line) : line.split(','));
  }
  return rows;
};

const splitQuoted = (line: string): string[] => {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields;
};

/**
 * A numeric field, or undefined when empty, non-numeric or not finite. Missing data stays missing:
 * "" and "NaN" must never become 0 (a 0 % CPU minute is a real, different observation).
 */
export const parseNumber = (field: string | undefined): number | undefined => {
  if (field === undefined) return undefined;
  const trimmed = field.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
};
