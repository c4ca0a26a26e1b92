import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { errorsForLog, serializeErrorForLog } from "./error-for-log.ts";
import { prettyLogLine } from "./pretty-line.ts";
import { traceFields } from "./trace-fields.ts";

export type { Logger } from "pino";

/** Field paths that may hold credentials; pino replaces their values before a line is written. */
export const REDACTED_PATHS = [
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "password",
  "*.password",
] as const;

export interface CreateLoggerOptions {
  /** pino level; default "info". */
  level?: string;
  /** Logger name, e.g. "worker" or "cli"; default "veoq". */
  name?: string;
  /**
   * Secret values (the API key, dashboard password, Redis passwords: see `secretValues` in
   * @veoq/config) scrubbed from every line, wherever they appear: messages, error messages and
   * stacks, any field. Empty strings are ignored.
   */
  secrets?: readonly (string | undefined)[];
  /** Where lines go; default stdout. Tests pass a stream to capture output. */
  destination?: DestinationStream;
  /**
   * Write lines for a person (`18:57:10 INFO  workers started  roles=submit,poll`) instead of
   * JSON; default false. The CLI turns it on when stdout is a terminal.
   */
  pretty?: boolean;
}

/**
 * The password part of a URL's user info (`redis://user:secret@host`, `rediss://:secret@host`):
 * group 1 is everything before the password's colon.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*):([^\s@/"'\\]+)@/gi;

/** Replaces the password of every URL in the text with "[REDACTED]", keeping user and host. */
export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, "$1:[REDACTED]@");
}

/**
 * A scrubber for one set of secrets: replaces each occurrence with "[REDACTED]", and the
 * password of any URL in the text (a REDIS_URL in a message) whether it is a known secret or not.
 */
export function createSecretScrubber(
  secrets: readonly (string | undefined)[],
): (text: string) => string {
  const values = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  return (text) => {
    let out = text;
    for (const value of values) out = out.split(value).join("[REDACTED]");
    return redactUrlPasswords(out);
  };
}

/**
 * The one logger factory: JSON lines, one event per line, credentials redacted by path, by value
 * and inside URLs; errors written without the command arguments a Redis client attaches to them
 * (an AUTH command's are the password: see serializeErrorForLog). Callers add `batchId`, `customId`, `jobId` and `taskId` as fields through child loggers.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const scrub = createSecretScrubber(options.secrets ?? []);
  const pinoOptions: LoggerOptions = {
    name: options.name ?? "veoq",
    level: options.level ?? "info",
    redact: { paths: [...REDACTED_PATHS], censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // trace_id / span_id of the active span when tracing is on (trace-fields.ts).
    mixin: traceFields,
    serializers: { err: serializeErrorForLog },
    formatters: { log: errorsForLog },
  };
  const destination: DestinationStream = {
    write(line: string) {
      const clean = scrub(line);
      (options.destination ?? process.stdout).write(options.pretty ? prettyLogLine(clean) : clean);
    },
  };
  return pino(pinoOptions, destination);
}
