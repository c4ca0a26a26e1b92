/** Raised when Redis (or anything awaited for a page) takes longer than the page may wait. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** Resolves as `work` does, or rejects with TimeoutError after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  work.catch(() => {
    // Settles after the timeout won: nothing waits for it any more.
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
