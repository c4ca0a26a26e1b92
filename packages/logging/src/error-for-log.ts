/**
 * Fields a Redis client hangs on its errors that repeat what was sent to the server: ioredis puts
 * `command: { name, args }` on a reply or abort error (the AUTH command's args are the password),
 * `previousErrors` on a failed transaction, `lastNodeError` on a cluster that failed every node.
 * None of them tells the reader more than the message does, so they never reach a log line.
 */
const DROPPED_ERROR_FIELDS = new Set(["command", "args", "previousErrors", "lastNodeError"]);

/** How deep causes and nested errors are followed before one is reduced to its message. */
const MAX_DEPTH = 3;

function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { message?: unknown }).message === "string" &&
      typeof (value as { stack?: unknown }).stack === "string")
  );
}

/**
 * An error as a log line shows it: type, message, stack, its own fields (code, status, ...) and
 * its cause, without the command arguments a Redis client attaches (see DROPPED_ERROR_FIELDS).
 * Anything that is not an error passes through unchanged, so it is safe to apply twice.
 */
export function serializeErrorForLog(value: unknown, depth = 0): unknown {
  if (!isErrorLike(value)) return value;
  const out: Record<string, unknown> = {
    type: value instanceof Error ? value.constructor.name : (value as { type?: unknown }).type,
    message: value.message,
    stack: value.stack,
  };
  for (const [key, field] of Object.entries(value)) {
    if (DROPPED_ERROR_FIELDS.has(key) || key in out) continue;
    out[key] = nestedForLog(field, depth);
  }
  const cause = (value as { cause?: unknown }).cause;
  if (cause !== undefined && !("cause" in out)) out.cause = nestedForLog(cause, depth);
  return out;
}

function nestedForLog(field: unknown, depth: number): unknown {
  if (Array.isArray(field) && field.some(isErrorLike)) {
    return field.map((item) => nestedForLog(item, depth));
  }
  if (!isErrorLike(field)) return field;
  return depth < MAX_DEPTH ? serializeErrorForLog(field, depth + 1) : { message: field.message };
}

/**
 * pino's `formatters.log`: errors logged under any key (not only `err`, which the serializer
 * handles) go through serializeErrorForLog, since pino would otherwise write all their fields.
 */
export function errorsForLog(record: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (key === "err" || !isErrorLike(value)) continue;
    out ??= { ...record };
    out[key] = serializeErrorForLog(value);
  }
  return out ?? record;
}
