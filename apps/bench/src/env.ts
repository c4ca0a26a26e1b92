/** The bench's one read of the environment: what a child process (the real CLI) inherits. */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
