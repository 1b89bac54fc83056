import { describe, expect, it } from 'vitest';
import { groupId, type InstanceCatalog, type Plan } from '../../../lambda/core/domain';
import { planStaging } from '../../../lambda/core/staging/plan-staging';
import { standardFleet, T0 } from '../fixtures/fleet-builders';

/** What the plan says about the staging decision: the capacity-staged detail, or the noop's reason. */
const said = (plan: Plan): string =>
  [...plan.events.flatMap((e) => (e.kind === 'capacity-staged' ? [e.detail] : [])), ...plan.actions.flatMap((a) => (a.kind === 'noop' ? [a.reason] : []))].join(
    '\n',
  );

const withoutPrices = (catalog: InstanceCatalog): InstanceCatalog =>
  new Map([...catalog].map(([n, s]) => [n, { name: s.name, resources: s.resources, onDemandHourlyUsd: Number.POSITIVE_INFINITY }]));

describe('planStaging and prices', () => {
  it('with prices it says nothing about guessing', () => {
    expect(said(planStaging(groupId('web'), standardFleet(), { now: T0 }))).not.toContain('guess');
  });

  it('without prices (the catalog EC2 gives without a Price List) it says the type is a guess by shape', () => {
    const f = standardFleet();
    const plan = planStaging(groupId('web'), { ...f, catalog: withoutPrices(f.catalog) }, { now: T0 });
    expect(said(plan)).toMatch(/On-Demand prices unknown: \S+ is picked by shape \(fewest vCPUs that cover\), a guess at the cheapest/);
  });
});
