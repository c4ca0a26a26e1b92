export {
  type CreateLoggerOptions,
  createLogger,
  createSecretScrubber,
  type Logger,
  REDACTED_PATHS,
  redactUrlPasswords,
} from "./create-logger.ts";
export { serializeErrorForLog } from "./error-for-log.ts";
export { prettyLogLine } from "./pretty-line.ts";
export { setTraceFieldsSource, traceFields } from "./trace-fields.ts";
