/**
 * What went wrong reaching Redis, in the words an operator acts on, never the client library's
 * text ("Reached the max retries per request limit..."): connection refused, host not found,
 * not a Redis server, authentication failed, timed out, or the connection lost.
 */
export type RedisFault =
  | "connection refused"
  | "host not found"
  | "not a Redis server"
  | "authentication failed"
  | "timed out"
  | "connection lost";

/**
 * Names the fault from the error a command met and the last error the connection reported
 * (ioredis reports the socket's own error there, then fails the command with its retry limit).
 */
export function redisFaultOf(...errors: readonly unknown[]): RedisFault {
  const seen = errors.filter((e): e is Error => e instanceof Error);
  const has = (test: (error: Error & { code?: string }) => boolean) => seen.some(test);
  if (has((e) => /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(e.message))) {
    return "authentication failed";
  }
  if (has((e) => e.name === "ParserError" || /Protocol error/i.test(e.message))) {
    return "not a Redis server";
  }
  if (has((e) => e.code === "ECONNREFUSED")) return "connection refused";
  if (has((e) => e.code === "ENOTFOUND" || e.code === "EAI_AGAIN")) return "host not found";
  if (has((e) => e.code === "ETIMEDOUT" || /timed out|timeout/i.test(e.message))) {
    return "timed out";
  }
  return "connection lost";
}
