import type { InstanceCatalog, InstanceTypeSpec, Resources } from '../domain';
import { fits, maxResources, minResources, validateResources } from './resources';

/** An instance type the catalog does not know (e.g. a typo in allowed_instance_types, or a new family). */
export class UnknownInstanceTypeError extends Error {
  override readonly name = 'UnknownInstanceTypeError';
  constructor(readonly instanceType: string) {
    super(`unknown instance type ${JSON.stringify(instanceType)} (not in the instance catalog)`);
  }
}

/** A catalog entry that cannot be used: duplicate name, bad shape or bad price. */
export class InvalidCatalogError extends Error {
  override readonly name = 'InvalidCatalogError';
  constructor(
    readonly instanceType: string,
    readonly field: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`instance catalog entry ${JSON.stringify(instanceType)}: ${field} ${detail} (got ${String(value)})`);
  }
}

const checkPrice = (spec: InstanceTypeSpec, field: 'onDemandHourlyUsd' | 'spotHourlyUsd', value: unknown): void => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidCatalogError(spec.name, field, value, 'must be a finite price > 0');
  }
};

/**
 * Builds the catalog keyed by type name. Every entry is validated (shape finite and ≥ 0, vCPU and
 * memory > 0, prices > 0) and duplicate names are rejected rather than
 * letting the last one win silently.
 */
export const toCatalog = (specs: readonly InstanceTypeSpec[]): InstanceCatalog => {
  const catalog = new Map<string, InstanceTypeSpec>();
  for (const spec of specs) {
    if (typeof spec.name !== 'string' || spec.name.length === 0)
      throw new InvalidCatalogError(String(spec.name), 'name', spec.name, 'must be a non-empty string');
    if (catalog.has(spec.name)) throw new InvalidCatalogError(spec.name, 'name', spec.name, 'is listed twice');
    validateResources(spec.resources, `instance type ${spec.name}`);
    if (spec.resources.vcpu <= 0) throw new InvalidCatalogError(spec.name, 'resources.vcpu', spec.resources.vcpu, 'must be > 0');
    if (spec.resources.memoryGiB <= 0) throw new InvalidCatalogError(spec.name, 'resources.memoryGiB', spec.resources.memoryGiB, 'must be > 0');
    checkPrice(spec, 'onDemandHourlyUsd', spec.onDemandHourlyUsd);
    if (spec.spotHourlyUsd !== undefined) checkPrice(spec, 'spotHourlyUsd', spec.spotHourlyUsd);
    catalog.set(spec.name, spec);
  }
  return catalog;
};

/** The spec of `name`; throws UnknownInstanceTypeError naming the type when the catalog lacks it. */
export const lookupInstanceType = (catalog: InstanceCatalog, name: string): InstanceTypeSpec => {
  const spec = catalog.get(name);
  if (spec === undefined) throw new UnknownInstanceTypeError(name);
  return spec;
};

/**
 * The hourly price used to compare types: the spot price for 'spot' when known, otherwise the
 * On-Demand price (an unknown spot price must not make a type look free).
 */
export const hourlyPrice = (spec: InstanceTypeSpec, pricing: 'on-demand' | 'spot'): number =>
  pricing === 'spot' ? (spec.spotHourlyUsd ?? spec.onDemandHourlyUsd) : spec.onDemandHourlyUsd;

/** Whether a policy's `allowed` list lets `name` be used: an empty list allows every type. */
export const isAllowedType = (allowed: readonly string[], name: string): boolean => allowed.length === 0 || allowed.includes(name);

/** The catalog's specs of `allowed` (every type when empty, see isAllowedType), each once; names the catalog lacks are skipped. */
export const allowedSpecs = (catalog: InstanceCatalog, allowed: readonly string[]): InstanceTypeSpec[] =>
  allowed.length === 0 ? [...catalog.values()] : [...new Set(allowed)].flatMap((n) => catalog.get(n) ?? []);

/**
 * The cheapest type in `allowed` (empty = every catalog type) whose shape covers `demand` in every
 * dimension, or undefined when none does. Names in `allowed` that the catalog does not know are
 * skipped (policies are validated against the catalog elsewhere; here an unknown name can only
 * mean "not a candidate"). Ties on price go to fewer vCPUs, then less memory, then the name, so the choice
 * is deterministic. Throws InvalidResourcesError for a NaN/negative/infinite demand.
 */
export const cheapestCovering = (
  catalog: InstanceCatalog,
  demand: Resources,
  allowed: readonly string[],
  pricing: 'on-demand' | 'spot',
): InstanceTypeSpec | undefined => {
  validateResources(demand, 'demand to cover');
  const candidates = allowedSpecs(catalog, allowed);
  let best: InstanceTypeSpec | undefined;
  for (const spec of candidates) {
    if (!fits(demand, spec.resources)) continue;
    if (best === undefined || compareCost(spec, best, pricing) < 0) best = spec;
  }
  return best;
};

const compareCost = (a: InstanceTypeSpec, b: InstanceTypeSpec, pricing: 'on-demand' | 'spot'): number =>
  hourlyPrice(a, pricing) - hourlyPrice(b, pricing) ||
  a.resources.vcpu - b.resources.vcpu ||
  a.resources.memoryGiB - b.resources.memoryGiB ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * For a demand no allowed type covers: the cheapest type that covers it as far as any allowed type can — the
 * demand capped, per dimension, at the most an allowed type offers. A 12-vCPU, 6-GiB forecast where the allowed
 * types top out at 8 vCPU is served by the cheapest 8-vCPU type with 6 GiB (a c5.2xlarge), not by the one that
 * also has the most memory (an m5.2xlarge, 13 % dearer, whose extra memory nothing asked for). Undefined when no
 * single type reaches every capped dimension (one type has the most vCPU, another the most memory) or no allowed
 * type is in the catalog.
 */
export const cheapestClosest = (
  catalog: InstanceCatalog,
  demand: Resources,
  allowed: readonly string[],
  pricing: 'on-demand' | 'spot',
): InstanceTypeSpec | undefined => {
  // A NaN or negative demand stays one after the cap, and cheapestCovering rejects it naming the dimension.
  const capped = cappedToAllowed(catalog, demand, allowed);
  return capped === undefined ? undefined : cheapestCovering(catalog, capped, allowed, pricing);
};

/**
 * `demand` capped, per dimension, at the most any allowed type offers: the part of it one instance of an allowed
 * type can hold at best. Equal to `demand` when some allowed type could cover each dimension; undefined when no
 * allowed type is in the catalog.
 */
export const cappedToAllowed = (catalog: InstanceCatalog, demand: Resources, allowed: readonly string[]): Resources | undefined => {
  const most = allowedSpecs(catalog, allowed).reduce<Resources | undefined>(
    (m, s) => (m === undefined ? s.resources : maxResources(m, s.resources)),
    undefined,
  );
  return most === undefined ? undefined : minResources(demand, most);
};
