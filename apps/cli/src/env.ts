import { parseConfig, type VeoqConfig } from "@veoq/config";

/** The CLI's one read of the environment. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): VeoqConfig {
  return parseConfig({ ...process.env, ...overrides });
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
