/** Variables that configure veoq itself: never inherited by the chaos run's workers. */
const VEOQ_VARIABLES = /^(REDIS_URL|VEOQ_|JIEKOU_|LOG_LEVEL$|DASHBOARD_)/;

/**
 * The chaos run's one read of the environment: the base environment of its worker processes
 * (PATH, HOME, NODE_OPTIONS...), without any veoq setting of the caller, so a real API key or
 * Redis in the caller's shell can never reach the chaos workers.
 */
export function workerBaseEnvironment(): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !VEOQ_VARIABLES.test(name)) base[name] = value;
  }
  return base;
}
