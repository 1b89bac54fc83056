import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PoolSignalHistory } from '../../../lambda/core/domain';
import {
  estimatePoolRisk,
  hourlyRateOfMonthly,
  PRIOR_WEIGHT_INSTANCE_HOURS,
  REBALANCE_WEIGHT,
  STAGING_HORIZON_HOURS,
} from '../../../lambda/core/staging/pool-risk';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1, 12);

const history = (warnings: number, rebalances: number, hoursAgo: number): PoolSignalHistory => ({
  instanceType: 'm5.large',
  availabilityZone: 'us-east-1a',
  warnings,
  rebalances,
  since: NOW - hoursAgo * HOUR,
  lastAt: NOW - HOUR / 2,
});

describe('hourlyRateOfMonthly', () => {
  it.each([
    [0, 0],
    [0.025, -Math.log(0.975) / 730],
    [0.25, -Math.log(0.75) / 730],
  ])('a monthly share of %f is %f reclaims per instance-hour', (monthly, hourly) => {
    expect(hourlyRateOfMonthly(monthly)).toBeCloseTo(hourly, 12);
  });

  it.each([-0.1, 1, 1.5, Number.NaN])('refuses a monthly share of %f, naming it', (monthly) => {
    expect(() => hourlyRateOfMonthly(monthly)).toThrow(`monthly reclaim share must be in [0, 1) (got ${monthly})`);
  });
});

describe('estimatePoolRisk', () => {
  const prior = 0.075;
  const priorRate = hourlyRateOfMonthly(prior);

  it.each([
    ['no history', undefined, 4],
    ['a history that starts after now', { ...history(3, 0, 1), since: NOW + HOUR }, 4],
    ['a history with a non-finite start', { ...history(3, 0, 1), since: Number.NaN }, 4],
  ])('%s: the prior, and says so', (_, h, instances) => {
    const risk = estimatePoolRisk({ priorMonthlyRate: prior, ...(h !== undefined ? { history: h } : {}), instances, now: NOW });
    expect(risk).toMatchObject({ source: 'prior', warnings: 0, rebalances: 0, exposureHours: 0 });
    expect(risk.hourlyRate).toBeCloseTo(priorRate, 15);
    expect(risk.probability).toBeCloseTo(1 - Math.exp(-priorRate * STAGING_HORIZON_HOURS), 15);
  });

  it.each([
    // warnings, rebalances, instances, hours watched → posterior rate
    [6, 0, 8, 1, (PRIOR_WEIGHT_INSTANCE_HOURS * priorRate + 6) / (PRIOR_WEIGHT_INSTANCE_HOURS + 8)],
    [0, 8, 8, 1, (PRIOR_WEIGHT_INSTANCE_HOURS * priorRate + 8 * REBALANCE_WEIGHT) / (PRIOR_WEIGHT_INSTANCE_HOURS + 8)],
    [2, 4, 4, 48, (PRIOR_WEIGHT_INSTANCE_HOURS * priorRate + 2 + 4 * REBALANCE_WEIGHT) / (PRIOR_WEIGHT_INSTANCE_HOURS + 192)],
    // A pool whose instances are all gone still counts one instance's exposure (it had instances when signalled).
    [3, 0, 0, 10, (PRIOR_WEIGHT_INSTANCE_HOURS * priorRate + 3) / (PRIOR_WEIGHT_INSTANCE_HOURS + 10)],
  ])('%i warnings and %i rebalances over %i instances × %i h: the Gamma posterior mean', (w, r, n, hours, expected) => {
    const risk = estimatePoolRisk({ priorMonthlyRate: prior, history: history(w, r, hours), instances: n, now: NOW });
    expect(risk.source).toBe('observed');
    expect(risk.hourlyRate).toBeCloseTo(expected, 12);
    expect(risk.probability).toBeCloseTo(1 - Math.exp(-expected), 12);
  });

  it('bad counts fall back to zero, never NaN', () => {
    const risk = estimatePoolRisk({ priorMonthlyRate: prior, history: { ...history(Number.NaN, -3, 10) }, instances: Number.NaN, now: NOW });
    expect(risk.warnings).toBe(0);
    expect(risk.rebalances).toBe(0);
    expect(Number.isFinite(risk.probability)).toBe(true);
    expect(risk.hourlyRate).toBeLessThan(priorRate);
  });

  it('refuses a horizon that is not a positive number', () => {
    expect(() => estimatePoolRisk({ priorMonthlyRate: prior, instances: 1, now: NOW, horizonHours: 0 })).toThrow(
      'horizonHours must be a positive number (got 0)',
    );
  });

  const arb = fc.record({
    prior: fc.double({ min: 0, max: 0.5, noNaN: true }),
    warnings: fc.integer({ min: 0, max: 500 }),
    rebalances: fc.integer({ min: 0, max: 500 }),
    instances: fc.integer({ min: 0, max: 200 }),
    hours: fc.double({ min: 0, max: 24 * 90, noNaN: true }),
  });

  it('is a probability, and monotone in the number of warnings and of rebalances (property)', () => {
    fc.assert(
      fc.property(arb, ({ prior: p, warnings, rebalances, instances, hours }) => {
        const at = (w: number, r: number) => estimatePoolRisk({ priorMonthlyRate: p, history: history(w, r, hours), instances, now: NOW });
        const base = at(warnings, rebalances);
        expect(base.probability).toBeGreaterThanOrEqual(0);
        expect(base.probability).toBeLessThanOrEqual(1);
        expect(at(warnings + 1, rebalances).hourlyRate).toBeGreaterThan(base.hourlyRate);
        expect(at(warnings, rebalances + 1).hourlyRate).toBeGreaterThan(base.hourlyRate);
        // A warning is stronger evidence than a rebalance recommendation.
        expect(at(warnings + 1, rebalances).hourlyRate).toBeGreaterThan(at(warnings, rebalances + 1).hourlyRate);
      }),
    );
  });

  it('with many observations the observed rate takes over, whatever the prior (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 1e-4, max: 0.5, noNaN: true }), (p, observedRate) => {
        const exposure = 1e6; // instance-hours: 10,000 instances × 100 h
        const warnings = Math.round(observedRate * exposure);
        const risk = estimatePoolRisk({ priorMonthlyRate: p, history: history(warnings, 0, 100), instances: 10_000, now: NOW });
        expect(Math.abs(risk.hourlyRate - warnings / exposure) / (warnings / exposure)).toBeLessThan(0.01);
      }),
    );
  });

  it('a quiet history pulls the estimate below the prior as exposure grows (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.5, noNaN: true }), fc.double({ min: 1, max: 2000, noNaN: true }), (p, hours) => {
        const quiet = estimatePoolRisk({ priorMonthlyRate: p, history: history(0, 0, hours), instances: 4, now: NOW });
        expect(quiet.hourlyRate).toBeLessThan(hourlyRateOfMonthly(p));
        const longer = estimatePoolRisk({ priorMonthlyRate: p, history: history(0, 0, hours * 2), instances: 4, now: NOW });
        expect(longer.hourlyRate).toBeLessThan(quiet.hourlyRate);
      }),
    );
  });
});
