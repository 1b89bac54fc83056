/**
 * Virtual time for the benchmarks' modelled AWS round trips. `sleep(ms)` resolves when the driver (`run`)
 * advances the virtual clock to it, not after a real wait, so a benchmark can model a thousand round trips of
 * hundreds of milliseconds, overlapping as the code's concurrency lets them, in a fraction of a second.
 *
 * The code's own CPU time counts too: when a sleeper is woken, the CPU time this process then spends until
 * the sleeper's next `sleep` (or until it reads `now()`) is added to its virtual time, multiplied by
 * `cpuScale` (a Lambda function with less than one vCPU runs the same code slower). CPU time
 * (process.cpuUsage), not wall time: on a shared machine, time the process waits for a core is not work the
 * function would do. Each waiter carries its own CPU: concurrent handlers model concurrent Lambda
 * containers, whose CPUs run in parallel, not one after another.
 *
 * Only one sleeper is woken at a time, and the driver waits for the event loop to drain (setImmediate) before
 * waking the next, so the CPU measured after a wake-up belongs to that sleeper alone.
 */
interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** CPU time this process has used (user + system), in ms. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Real ms the driver waits for work blocked on something other than virtual time before giving up. */
const STALL_LIMIT_MS = 30_000;

export class VirtualTime {
  private current: number;
  private readonly timers: Timer[] = [];
  private seq = 0;
  /** CPU time (ms) the process had used when the running code last got control from the driver. */
  private resumedAt = cpuMs();

  constructor(
    start: number,
    private readonly opts: { readonly cpuScale?: number; readonly onAdvance?: (now: number) => void } = {},
  ) {
    if (!Number.isFinite(start)) throw new RangeError(`virtual time must start at a finite time (got ${start})`);
    this.current = start;
  }

  /** The virtual time the calling code has reached: the clock plus its CPU since it was last woken. */
  now(): number {
    return this.current + (cpuMs() - this.resumedAt) * (this.opts.cpuScale ?? 1);
  }

  /** Resolves `ms` of virtual time after now(). */
  sleep(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`sleep needs a finite, non-negative duration (got ${ms})`);
    return this.until(this.now() + ms);
  }

  /** Resolves at virtual time `at` (at once, in virtual terms, when it has passed). */
  until(at: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: Math.max(at, this.current), seq: this.seq++, resolve });
    });
  }

  /** Drives virtual time until `work` settles, and returns its result. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    let settled = false;
    this.resumedAt = cpuMs();
    const guarded = work().finally(() => {
      settled = true;
    });
    guarded.catch(() => undefined);
    let stalledSince: number | undefined;
    while (!settled) {
      await new Promise<void>((r) => setImmediate(r));
      if (settled) break;
      const next = this.popEarliest();
      if (next === undefined) {
        // Waiting on a real timer or I/O (not virtual time): give it real time, within a limit.
        stalledSince ??= performance.now();
        if (performance.now() - stalledSince > STALL_LIMIT_MS)
          throw new Error(`virtual time: the work neither settled nor slept for ${STALL_LIMIT_MS / 1000} s`);
        await new Promise<void>((r) => setTimeout(r, 1));
        continue;
      }
      stalledSince = undefined;
      this.current = Math.max(this.current, next.at);
      this.opts.onAdvance?.(this.current);
      this.resumedAt = cpuMs();
      next.resolve();
    }
    return guarded;
  }

  private popEarliest(): Timer | undefined {
    if (this.timers.length === 0) return undefined;
    let best = 0;
    for (let k = 1; k < this.timers.length; k++) {
      const t = this.timers[k] as Timer;
      const b = this.timers[best] as Timer;
      if (t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = k;
    }
    return this.timers.splice(best, 1)[0];
  }
}
