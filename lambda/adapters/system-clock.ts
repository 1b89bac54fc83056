import type { Clock } from '../ports/clock';

/** The wall clock (epoch milliseconds). The only place outside tests and the simulator that reads it. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

export const systemClock: Clock = new SystemClock();
