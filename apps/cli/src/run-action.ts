import { ConfigError, secretValues } from "@veoq/config";
import { createSecretScrubber } from "@veoq/logging";
import { ManifestFileError } from "@veoq/manifest";
import {
  EnqueueError,
  isRedisOutOfMemory,
  REDIS_OUT_OF_MEMORY,
  RedisSetupError,
  UnknownBatchError,
} from "@veoq/pipeline";
import { PriceTableError } from "@veoq/pricing";
import { loadConfig } from "./env.ts";
import { EXIT_PROBLEM, EXIT_USAGE } from "./exit-codes.ts";
import { ListenError } from "./listen-error.ts";
import { isRedisConnectionError, RedisUnreachableError } from "./queue-session.ts";
import { redisFaultOf } from "./redis-fault.ts";

export { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE } from "./exit-codes.ts";

/** Raised by commands for a wrong call (bad argument, missing file): exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Wraps a command's action: known errors become one readable line on stderr and an exit code
 * (2 for usage and configuration, 1 for everything else); unknown errors keep their stack.
 */
export function runAction<A extends unknown[]>(
  action: (...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await action(...args);
      if (code !== undefined) process.exitCode = code;
    } catch (error) {
      const writeError = (line: string) => process.stderr.write(scrubSecrets(line));
      if (
        error instanceof UsageError ||
        error instanceof ConfigError ||
        error instanceof ManifestFileError ||
        error instanceof PriceTableError ||
        error instanceof UnknownBatchError
      ) {
        writeError(`veoq: ${error.message}\n`);
        process.exitCode = EXIT_USAGE;
      } else if (
        error instanceof RedisUnreachableError ||
        error instanceof EnqueueError ||
        error instanceof ListenError ||
        error instanceof RedisSetupError
      ) {
        writeError(`veoq: ${error.message}\n`);
        process.exitCode = EXIT_PROBLEM;
        // The Redis client's timers of the unanswered first command would keep the process
        // alive for seconds after the verdict: exit once the line is out.
        if (error instanceof RedisUnreachableError) process.stderr.write("", () => process.exit());
      } else if (isRedisOutOfMemory(error)) {
        writeError(`veoq: ${REDIS_OUT_OF_MEMORY}\n`);
        process.exitCode = EXIT_PROBLEM;
      } else if (isRedisConnectionError(error)) {
        writeError(`veoq: lost the connection to Redis (REDIS_URL): ${redisFaultOf(error)}\n`);
        process.exitCode = EXIT_PROBLEM;
      } else {
        writeError(
          `veoq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = EXIT_PROBLEM;
      }
    }
  };
}

/**
 * An error line without any credential of the configuration (a Redis password echoed in a
 * message, a URL with its password): the same scrubbing as the logger's.
 */
function scrubSecrets(line: string): string {
  let secrets: string[] = [];
  try {
    secrets = secretValues(loadConfig());
  } catch {
    // The configuration itself is what failed: URLs are still redacted.
  }
  return createSecretScrubber(secrets)(line);
}
