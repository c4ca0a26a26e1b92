const DELAY_SECONDS = /^\d+(\.\d+)?$/;
/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`). */
const GMT_DATE = /^[A-Za-z]{3,9}, \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{1,2}:\d{2}:\d{2} GMT$/;
/** asctime (`Sun Nov  6 08:49:37 1994`), which is UTC without saying so. */
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} +\d{1,2} \d{1,2}:\d{2}:\d{2} \d{4}$/;

/**
 * Parses a `Retry-After` header into a delay in milliseconds from `nowMs`.
 * Accepts delay-seconds (`"120"`) and the three HTTP date forms; a date in the past gives 0.
 * Absent, empty or unparseable values give `undefined`. Pure.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (DELAY_SECONDS.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  let dateMs = Number.NaN;
  if (GMT_DATE.test(text)) dateMs = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) dateMs = Date.parse(`${text} GMT`);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
