/** Wall-clock time in epoch milliseconds. The simulator advances its own. */
export interface Clock {
  now(): number;
}
