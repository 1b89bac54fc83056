/**
 * A min-heap of timed simulation events. Ties on time keep insertion order (a sequence number), so a run
 * is deterministic however many events share a second.
 */
export class EventQueue<E> {
  private readonly heap: { at: number; seq: number; event: E }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, event: E): void {
    if (!Number.isFinite(at)) throw new RangeError(`event time must be finite (got ${at})`);
    this.heap.push({ at, seq: this.seq++, event });
    this.up(this.heap.length - 1);
  }

  /** The next event due at or before `now`, or undefined. */
  popDue(now: number): { at: number; event: E } | undefined {
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    const last = this.heap.pop() as (typeof this.heap)[number];
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return { at: top.at, event: top.event };
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as (typeof this.heap)[number];
    const b = this.heap[j] as (typeof this.heap)[number];
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i] as (typeof this.heap)[number];
    this.heap[i] = this.heap[j] as (typeof this.heap)[number];
    this.heap[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
