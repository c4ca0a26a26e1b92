import { parseConfig, type VeoqConfig } from "@veoq/config";

/** The CLI's one read of the environment. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): VeoqConfig {
  return parseConfig({ ...process.env, ...overrides });
}

/** Raw environment for child processes the CLI starts (demo, chaos). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}
