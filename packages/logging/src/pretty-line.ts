/** pino's numeric levels, as a person reads them. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Fields every line has, shown in the prefix or not at all. */
const PREFIX_FIELDS = new Set(["level", "time", "pid", "hostname", "name", "msg"]);

/**
 * One JSON log line as a terminal line: `18:57:10 INFO  workers started  roles=submit,poll`.
 * The logger's name and pid stay in the JSON form (a terminal shows one process); lines that are
 * not JSON pass through unchanged.
 */
export function prettyLogLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = typeof record.time === "string" ? record.time.slice(11, 19) : "";
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !PREFIX_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const message = typeof record.msg === "string" ? record.msg : "";
  return `${[time, level.padEnd(5), message, ...fields].filter((s) => s !== "").join("  ")}\n`;
}

function formatValue(value: unknown): string {
  // An error shows its message; the stack stays in the JSON form.
  if (typeof value === "object" && value !== null && "message" in value && "stack" in value) {
    return JSON.stringify(String(value.message));
  }
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(",");
  return JSON.stringify(value);
}
