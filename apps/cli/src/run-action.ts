import { ConfigError } from "@veoq/config";
import { ManifestFileError } from "@veoq/manifest";
import { EnqueueError, RedisSetupError, UnknownBatchError } from "@veoq/pipeline";
import { PriceTableError } from "@veoq/pricing";
import { EXIT_PROBLEM, EXIT_USAGE } from "./exit-codes.ts";
import { ListenError } from "./listen-error.ts";
import { isRedisConnectionError, RedisUnreachableError } from "./queue-session.ts";

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
      if (
        error instanceof UsageError ||
        error instanceof ConfigError ||
        error instanceof ManifestFileError ||
        error instanceof PriceTableError ||
        error instanceof UnknownBatchError
      ) {
        process.stderr.write(`veoq: ${error.message}\n`);
        process.exitCode = EXIT_USAGE;
      } else if (
        error instanceof RedisUnreachableError ||
        error instanceof EnqueueError ||
        error instanceof ListenError ||
        error instanceof RedisSetupError
      ) {
        process.stderr.write(`veoq: ${error.message}\n`);
        process.exitCode = EXIT_PROBLEM;
      } else if (isRedisConnectionError(error)) {
        process.stderr.write(
          `veoq: lost the connection to Redis (REDIS_URL): ${(error as Error).message}\n`,
        );
        process.exitCode = EXIT_PROBLEM;
      } else {
        process.stderr.write(
          `veoq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = EXIT_PROBLEM;
      }
    }
  };
}
