/**
 * The process's bound on parallel downloads (VEOQ_DOWNLOAD_CONCURRENCY), in a process that runs
 * both the poll and the download role: a download job takes a permit (waiting for one), and a
 * poll job that sees its task done takes one (`takeForPoll`) to save the outputs itself
 * (poll-processor.ts), waiting its turn only while fewer poll jobs than the bound wait; refused,
 * it hands the item to a download job as before. So the poll jobs' downloads never add to the
 * bound, and at most that many poll slots wait for downloads instead of polling.
 */
export class DownloadPermits {
  readonly #size: number;
  #free: number;
  readonly #waiting: (() => void)[] = [];
  #pollsWaiting = 0;

  constructor(size: number) {
    this.#size = Math.max(1, Math.floor(size));
    this.#free = this.#size;
  }

  /**
   * A permit for a poll job: at once, or in its turn behind the jobs already waiting, as long as
   * fewer poll jobs than the bound's size wait (so at most that many poll slots wait for
   * downloads, and the rest keep polling); false past that, and the item goes to a download job.
   */
  async takeForPoll(): Promise<boolean> {
    if (this.tryTake()) return true;
    if (this.#pollsWaiting >= this.#size) return false;
    this.#pollsWaiting++;
    try {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } finally {
      this.#pollsWaiting--;
    }
    return true;
  }

  /** A permit now, or false when none is free. */
  tryTake(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  /** A permit, once one is free. */
  async take(): Promise<void> {
    if (this.tryTake()) return;
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a permit back (to the longest waiting download job first). */
  give(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free++;
    else next();
  }
}
