/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * base * 2^(n-1), capped at max. Pure: the random source is injected.
 *
 * | try | base 1 s, max 60 s |
 * |-----|--------------------|
 * | 1   | 0.5 – 1 s          |
 * | 2   | 1 – 2 s            |
 * | 3   | 2 – 4 s            |
 * | 5   | 8 – 16 s           |
 * | 7+  | 30 – 60 s          |
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The BullMQ backoff strategy "veoq" (jobs say `backoff: { type: "veoq" }`), shared by every
 * queue: `retryDelayMs` with the configured base and ceiling.
 */
export function veoqBackoffStrategy(
  settings: { retryBaseMs: number; retryMaxMs: number },
  random: () => number = Math.random,
): (attemptsMade: number) => number {
  return (attemptsMade) =>
    retryDelayMs(attemptsMade, settings.retryBaseMs, settings.retryMaxMs, random);
}
