export {
  type CreateLoggerOptions,
  createLogger,
  createSecretScrubber,
  type Logger,
  REDACTED_PATHS,
} from "./create-logger.ts";
export { prettyLogLine } from "./pretty-line.ts";
export { setTraceFieldsSource, traceFields } from "./trace-fields.ts";
