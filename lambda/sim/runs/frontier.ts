/**
 * Cost–availability frontiers: a knob baseline run over a grid of its knob traces a curve of (cost,
 * unserved demand) points, one per knob value (means over the seeds). spotwise is one point; these functions
 * say where that point stands against each curve.
 */

export interface FrontierPoint {
  readonly knob: number;
  readonly cost: number;
  readonly unservedVcpuMinutes: number;
  readonly availability: number;
}

/**
 * The values of `y` where the piecewise-linear curve through `points` (in the order given) passes `x`:
 * one per segment whose x-range holds x, linear inside it; a lone point only at its own x.
 */
const crossings = <P>(points: readonly P[], xOf: (p: P) => number, yOf: (p: P) => number, x: number): number[] => {
  if (!Number.isFinite(x)) return [];
  const ys: number[] = [];
  if (points.length === 1) {
    const p = points[0] as P;
    if (xOf(p) === x) ys.push(yOf(p));
    return ys;
  }
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as P;
    const b = points[i + 1] as P;
    const [xa, xb, ya, yb] = [xOf(a), xOf(b), yOf(a), yOf(b)];
    if (x < Math.min(xa, xb) || x > Math.max(xa, xb)) continue;
    // A flat segment (same x at both ends) holds every y between them; the best of it is the lesser end.
    ys.push(xa === xb ? Math.min(ya, yb) : ya + ((x - xa) / (xb - xa)) * (yb - ya));
  }
  return ys;
};

const byKnob = (frontier: readonly FrontierPoint[]): FrontierPoint[] => [...frontier].sort((a, b) => a.knob - b.knob);

const least = (values: readonly number[]): number | undefined => (values.length === 0 ? undefined : Math.min(...values));

/**
 * The least unserved vCPU·min the baseline reaches for at most `cost`, interpolated linearly between neighbouring
 * knob values: the curve where it passes `cost` (the least of its passes where noise makes it pass more than once),
 * or any knob value that costs less and leaves less — an operator with that budget picks that knob and keeps the
 * change. So a curve that ends (its largest knob serves every interruption) below `cost` answers with its best
 * point, not "outside": reading it as outside dropped a warm pool cheaper than spotwise and nearly as available out of
 * "the best baseline at spotwise's cost" (README, "Reading a sweep"). `undefined` only when even the cheapest knob
 * value costs more than `cost`.
 */
export const unservedAtCost = (frontier: readonly FrontierPoint[], cost: number): number | undefined =>
  least([
    ...crossings(
      byKnob(frontier),
      (p) => p.cost,
      (p) => p.unservedVcpuMinutes,
      cost,
    ),
    ...frontier.filter((p) => p.cost <= cost).map((p) => p.unservedVcpuMinutes),
  ]);

/**
 * The least cost at which the baseline leaves at most `unserved` vCPU·min: where the curve passes `unserved` (its
 * cheapest pass), or any knob value that leaves less for less. `undefined` when no knob value on the grid leaves that
 * little (the curve flattens above it): outside the frontier.
 */
export const costAtUnserved = (frontier: readonly FrontierPoint[], unserved: number): number | undefined =>
  least([
    ...crossings(
      byKnob(frontier),
      (p) => p.unservedVcpuMinutes,
      (p) => p.cost,
      unserved,
    ),
    ...frontier.filter((p) => p.unservedVcpuMinutes <= unserved).map((p) => p.cost),
  ]);

/** Where one point (spotwise's means) stands against every frontier. */
export interface FrontierComparison {
  readonly cost: number;
  readonly unservedVcpuMinutes: number;
  /** Per baseline: the least it leaves unserved for at most the point's cost (undefined: its cheapest knob costs more). */
  readonly unservedAtCost: Readonly<Record<string, number | undefined>>;
  /** Per baseline: the least it costs to leave at most the point's unserved (undefined: no knob leaves that little). */
  readonly costAtUnserved: Readonly<Record<string, number | undefined>>;
  /** The baseline with the least unserved for at most the point's cost, if any baseline's cheapest knob is within it. */
  readonly bestAtCost?: { readonly name: string; readonly unservedVcpuMinutes: number };
  /** The baseline that reaches the point's unserved most cheaply, if any frontier reaches it. */
  readonly cheapestAtUnserved?: { readonly name: string; readonly cost: number };
}

export const compareWithFrontiers = (
  point: { readonly cost: number; readonly unservedVcpuMinutes: number },
  frontiers: Readonly<Record<string, readonly FrontierPoint[]>>,
): FrontierComparison => {
  const atCost: Record<string, number | undefined> = {};
  const atUnserved: Record<string, number | undefined> = {};
  let bestAtCost: { name: string; unservedVcpuMinutes: number } | undefined;
  let cheapestAtUnserved: { name: string; cost: number } | undefined;
  for (const [name, frontier] of Object.entries(frontiers)) {
    const u = unservedAtCost(frontier, point.cost);
    const c = costAtUnserved(frontier, point.unservedVcpuMinutes);
    atCost[name] = u;
    atUnserved[name] = c;
    if (u !== undefined && (bestAtCost === undefined || u < bestAtCost.unservedVcpuMinutes)) bestAtCost = { name, unservedVcpuMinutes: u };
    if (c !== undefined && (cheapestAtUnserved === undefined || c < cheapestAtUnserved.cost)) cheapestAtUnserved = { name, cost: c };
  }
  return {
    cost: point.cost,
    unservedVcpuMinutes: point.unservedVcpuMinutes,
    unservedAtCost: atCost,
    costAtUnserved: atUnserved,
    ...(bestAtCost ? { bestAtCost } : {}),
    ...(cheapestAtUnserved ? { cheapestAtUnserved } : {}),
  };
};
