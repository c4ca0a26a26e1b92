interface Entry {
  finishAtMs: number;
  key: string;
}

/**
 * Counts tasks still QUEUED or PROCESSING, in total and per API key, without scanning every task:
 * a min-heap of finish times is drained up to the current time on each query.
 */
export class InFlightTracker {
  readonly #heap: Entry[] = [];
  readonly #perKey = new Map<string, number>();

  add(key: string, finishAtMs: number, nowMs: number): void {
    this.settle(nowMs);
    if (finishAtMs <= nowMs) return;
    this.#heap.push({ finishAtMs, key });
    this.#siftUp(this.#heap.length - 1);
    this.#perKey.set(key, (this.#perKey.get(key) ?? 0) + 1);
  }

  total(nowMs: number): number {
    this.settle(nowMs);
    return this.#heap.length;
  }

  countOf(key: string, nowMs: number): number {
    this.settle(nowMs);
    return this.#perKey.get(key) ?? 0;
  }

  /** Drop every task finished at or before `nowMs`. */
  settle(nowMs: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && (heap[0] as Entry).finishAtMs <= nowMs) {
      const done = heap[0] as Entry;
      const last = heap.pop() as Entry;
      if (heap.length > 0) {
        heap[0] = last;
        this.#siftDown(0);
      }
      const left = (this.#perKey.get(done.key) ?? 1) - 1;
      if (left > 0) this.#perKey.set(done.key, left);
      else this.#perKey.delete(done.key);
    }
  }

  #siftUp(start: number): void {
    const heap = this.#heap;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const a = heap[i] as Entry;
      const b = heap[parent] as Entry;
      if (b.finishAtMs <= a.finishAtMs) break;
      heap[i] = b;
      heap[parent] = a;
      i = parent;
    }
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (
        left < heap.length &&
        (heap[left] as Entry).finishAtMs < (heap[smallest] as Entry).finishAtMs
      )
        smallest = left;
      if (
        right < heap.length &&
        (heap[right] as Entry).finishAtMs < (heap[smallest] as Entry).finishAtMs
      )
        smallest = right;
      if (smallest === i) return;
      const tmp = heap[i] as Entry;
      heap[i] = heap[smallest] as Entry;
      heap[smallest] = tmp;
      i = smallest;
    }
  }
}
