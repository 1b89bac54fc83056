/**
 * Wraps the named async methods of `target` so the wall time spent in each is added to `spent[name]`
 * (a benchmark's breakdown: how much of a handler's time went to each port). The wrapper inherits from
 * `target`, so every other member is the target's own.
 */
export const timeMethods = <T extends object>(target: T, names: readonly (keyof T & string)[], spent: Record<string, number>, prefix = ''): T => {
  const out = Object.create(target) as T;
  for (const name of names) {
    const fn = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
    (out as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        spent[`${prefix}${name}`] = (spent[`${prefix}${name}`] ?? 0) + performance.now() - started;
      }
    };
  }
  return out;
};
