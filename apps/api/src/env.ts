import { parseConfig, type VeoqConfig } from "@veoq/config";

/**
 * The API app's one read of the environment: REDIS_URL, VEOQ_PREFIX and the VEOQ_API_*
 * variables (see @veoq/config).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): VeoqConfig {
  return parseConfig(env);
}

/** The OTEL_* variables: traces are on when they ask for them (packages/tracing). */
export function otelEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("OTEL_")));
}
