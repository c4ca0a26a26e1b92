/** Raised when Redis (or anything awaited for a page) takes longer than the page may wait. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * Resolves as `work` does, or rejects with TimeoutError ("<what>: no answer within <ms> ms")
 * after `ms`; `work` keeps running but nothing waits for it.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const message = `${what === undefined ? "" : `${what}: `}no answer within ${ms} ms`;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
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
