/**
 * The rate `status --watch` sees: final items per second since its first look at a batch. A
 * batch enqueued hours before its workers started would otherwise show a rate (and an ETA)
 * averaged over the idle hours. Pure: the caller passes the times.
 */
export class ObservedRate {
  private readonly first = new Map<string, { atMs: number; done: number }>();

  /** Items per second since the first observation of `batchId`; undefined until some finish. */
  observe(batchId: string, atMs: number, done: number): number | undefined {
    const first = this.first.get(batchId);
    if (first === undefined) {
      this.first.set(batchId, { atMs, done });
      return undefined;
    }
    const seconds = (atMs - first.atMs) / 1000;
    return done > first.done && seconds > 0 ? (done - first.done) / seconds : undefined;
  }
}
