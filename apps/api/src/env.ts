import { parseConfig, type VeoqConfig } from "@veoq/config";

/**
 * The API app's one read of the environment: REDIS_URL, VEOQ_PREFIX and the VEOQ_API_*
 * variables (see @veoq/config).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): VeoqConfig {
  return parseConfig(env);
}
