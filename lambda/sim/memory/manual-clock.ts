import type { Clock } from '../../ports/clock';

/** A clock that only moves when told to: tests and the simulator advance it explicitly. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = 0) {
    this.current = ManualClock.check(start, 'start');
  }

  now(): number {
    return this.current;
  }

  set(at: number): void {
    this.current = ManualClock.check(at, 'time');
  }

  /** Moves forward by `ms` (never backwards: a wall clock that runs back would break TTLs and ordering). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance needs a finite, non-negative step (got ${ms})`);
    this.current += ms;
    return this.current;
  }

  private static check(at: number, what: string): number {
    if (!Number.isFinite(at)) throw new RangeError(`ManualClock ${what} must be a finite epoch-ms number (got ${at})`);
    return at;
  }
}

ManualClock satisfies new (start?: number) => Clock;
