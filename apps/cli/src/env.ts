import { parseConfig, type VeoqConfig } from "@veoq/config";

/** The CLI's one read of the environment. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): VeoqConfig {
  return parseConfig({ ...process.env, ...overrides });
}

/** The OTEL_* variables: traces are on when they ask for them (packages/tracing). */
export function otelEnvironment(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith("OTEL_")),
  );
}

/** Raw environment for child processes the CLI starts (demo, chaos). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

/**
 * Columns to fit output into: the terminal's width, else `COLUMNS` (for a pipe into a pager),
 * else no limit.
 */
export function terminalColumns(): number {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}
