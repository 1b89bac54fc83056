/**
 * Call recording and failure scripting shared by the in-memory fakes (the Karpenter `pkg/fake/` habit):
 * every port method records its call before doing anything, and a test can script the next call (or every
 * call) of an operation to throw, so handlers can be driven through partial failures deterministically.
 */

/** One call a fake received, in the order received. `seq` is global to the journal the fake writes to. */
export interface RecordedCall<Op extends string = string> {
  readonly fake: string;
  readonly operation: Op;
  readonly args: readonly unknown[];
  readonly seq: number;
  /** Whether the call was failed by a scripted fault (it then had no effect). */
  readonly failed: boolean;
}

/**
 * A journal several fakes can share, so a test can assert the order of calls *across* ports
 * (e.g. "reserve happened before the instance was stopped").
 */
export class CallJournal {
  readonly calls: RecordedCall[] = [];
  /**
   * Whether the fakes writing here keep their calls (in `calls` and in their own logs). A simulation of days
   * makes millions of port calls and reads none back; kept, they would hold every argument (every profile
   * written) for the whole run. Unkept calls are still numbered and scripted faults still fire.
   */
  readonly keepCalls: boolean;
  private seq = 0;

  constructor(opts: { readonly keepCalls?: boolean } = {}) {
    this.keepCalls = opts.keepCalls ?? true;
  }

  next(): number {
    this.seq += 1;
    return this.seq;
  }

  /** Operations in order as `fake.operation`, for readable assertions. */
  sequence(): string[] {
    return this.calls.map((c) => `${c.fake}.${c.operation}`);
  }
}

/** The error a scripted fault throws when the test did not provide its own. */
export class ScriptedFailure extends Error {
  override readonly name = 'ScriptedFailure';
  constructor(
    readonly fake: string,
    readonly operation: string,
  ) {
    super(`scripted failure of ${fake}.${operation}`);
  }
}

interface Fault {
  readonly error: Error;
  remaining: number;
}

/** Records the calls of one fake and applies scripted faults. */
export class CallLog<Op extends string> {
  readonly calls: RecordedCall<Op>[] = [];
  private readonly faults = new Map<Op, Fault[]>();
  private readonly always = new Map<Op, Error>();

  constructor(
    readonly fake: string,
    private readonly mutating: ReadonlySet<Op>,
    private readonly journal: CallJournal = new CallJournal(),
  ) {}

  /** Makes the next `times` calls of `operation` throw `error` (queued after faults already scripted). */
  failNext(operation: Op, error: Error = new ScriptedFailure(this.fake, operation), times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`failNext times must be a positive integer (got ${times})`);
    const queue = this.faults.get(operation) ?? [];
    queue.push({ error, remaining: times });
    this.faults.set(operation, queue);
  }

  /** Makes every call of `operation` throw `error` until clearFailures(). */
  failAlways(operation: Op, error: Error = new ScriptedFailure(this.fake, operation)): void {
    this.always.set(operation, error);
  }

  clearFailures(): void {
    this.faults.clear();
    this.always.clear();
  }

  /** Records the call, then throws if a fault is scripted for it. Fakes call this before touching state. */
  record(operation: Op, args: readonly unknown[]): void {
    const fault = this.takeFault(operation);
    const call: RecordedCall<Op> = { fake: this.fake, operation, args, seq: this.journal.next(), failed: fault !== undefined };
    if (this.journal.keepCalls) {
      this.calls.push(call);
      this.journal.calls.push(call);
    }
    if (fault !== undefined) throw fault;
  }

  callsTo(operation: Op): RecordedCall<Op>[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  count(operation: Op): number {
    return this.callsTo(operation).length;
  }

  /** Calls that would change the cloud, the capacity ledger, the scheduler or requests (see each fake). */
  mutatingCalls(): RecordedCall<Op>[] {
    return this.calls.filter((c) => this.mutating.has(c.operation));
  }

  isMutating(operation: Op): boolean {
    return this.mutating.has(operation);
  }

  private takeFault(operation: Op): Error | undefined {
    const always = this.always.get(operation);
    if (always !== undefined) return always;
    const queue = this.faults.get(operation);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.error;
  }
}
