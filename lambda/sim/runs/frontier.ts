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
 * The unserved vCPU·min the baseline reaches at `cost`, interpolated linearly between neighbouring knob
 * values. Where turning the knob makes the curve pass `cost` more than once (noise over few seeds), the
 * least unserved of those passes: the operator would pick that knob. `undefined` when no knob value on the
 * grid reaches `cost` (it is cheaper than the cheapest or dearer than the dearest): outside the frontier.
 */
export const unservedAtCost = (frontier: readonly FrontierPoint[], cost: number): number | undefined =>
  least(
    crossings(
      byKnob(frontier),
      (p) => p.cost,
      (p) => p.unservedVcpuMinutes,
      cost,
    ),
  );

/** The cost at which the baseline serves with `unserved` vCPU·min unserved (the cheapest pass); `undefined` outside the frontier. */
export const costAtUnserved = (frontier: readonly FrontierPoint[], unserved: number): number | undefined =>
  least(
    crossings(
      byKnob(frontier),
      (p) => p.unservedVcpuMinutes,
      (p) => p.cost,
      unserved,
    ),
  );

/** Where one point (spotwise's means) stands against every frontier. */
export interface FrontierComparison {
  readonly cost: number;
  readonly unservedVcpuMinutes: number;
  /** Per baseline: its unserved at the point's cost (undefined: outside its frontier). */
  readonly unservedAtCost: Readonly<Record<string, number | undefined>>;
  /** Per baseline: its cost at the point's unserved (undefined: outside its frontier). */
  readonly costAtUnserved: Readonly<Record<string, number | undefined>>;
  /** The baseline with the least unserved at the point's cost, if any frontier reaches that cost. */
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
