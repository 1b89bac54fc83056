import type { Forecast } from '../domain';
import { hourOfDay } from '../profile/daily-load';

/**
 * When an admitted voluntary interruption runs: the quietest predicted time in its window, not just the earliest.
 * A restart brings back the load the instance carried, and catches up what it missed, so restarting at the quietest
 * hour of the window asks least of the reservation and of the group. The load at a time is the victim's expected
 * steady vCPU at that UTC hour of day (its forecast's `dailyVcpu`, from its profile). Candidates are the window's
 * start and every QUIET_STEP_MS after it, up to LATEST_START_MARGIN_MS before the deadline (the executor re-checks at
 * the scheduled time and refuses after the deadline). A later start must be at least QUIET_GAIN quieter than the
 * earliest: the reservation is held until the later start, so a marginal gain is not worth the capacity; ties go to the
 * earliest. Without a load for every candidate's hour (a profile younger than those hours), the earliest start.
 */
export const QUIET_STEP_MS = 15 * 60_000;
export const LATEST_START_MARGIN_MS = 15 * 60_000;
/** A later start must expect at most this share of the earliest start's load. */
export const QUIET_GAIN = 0.9;

export interface QuietStart {
  readonly at: number;
  /** Why this time, for the decision's record. */
  readonly reason: string;
}

const fmt = (v: number): string => `${v.toFixed(2)} vCPU`;
const iso = (t: number): string => new Date(t).toISOString();

export const quietestStart = (forecast: Forecast | undefined, window: { readonly from: number; readonly deadline: number }): QuietStart => {
  const { from } = window;
  const latest = window.deadline - LATEST_START_MARGIN_MS;
  if (!(latest > from)) return { at: from, reason: 'the window leaves no later start' };
  const daily = forecast?.kind === 'known' ? forecast.dailyVcpu : undefined;
  if (daily === undefined) return { at: from, reason: 'no daily load profile yet: the earliest start' };
  const loadAt = (t: number): number | null => daily[hourOfDay(t)] ?? null;
  const first = loadAt(from);
  if (first === null) return { at: from, reason: 'no daily load for the window yet: the earliest start' };
  let best = { at: from, load: first };
  for (let t = from + QUIET_STEP_MS; t <= latest; t += QUIET_STEP_MS) {
    const load = loadAt(t);
    if (load === null) return { at: from, reason: 'no daily load for the whole window yet: the earliest start' };
    if (load < best.load) best = { at: t, load };
  }
  if (best.at === from || best.load > first * QUIET_GAIN) {
    return { at: from, reason: `the earliest start is as quiet as any in the window (${fmt(first)} expected)` };
  }
  return { at: best.at, reason: `the quietest time in the window: ${fmt(best.load)} expected at ${iso(best.at)} against ${fmt(first)} at ${iso(from)}` };
};
