import type { Logger } from "@veoq/logging";

/**
 * Runs `close` once on the first SIGINT or SIGTERM, then exits. A second signal exits at once
 * (jobs still running are picked up again by another worker as stalled).
 */
export function shutdownOnSignal(close: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(130);
      }
      closing = true;
      logger.info({ signal }, "shutting down: finishing jobs in progress");
      close()
        .then(() => logger.info("shut down cleanly"))
        .catch((error: unknown) => logger.error({ err: error }, "error while shutting down"))
        .finally(() => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          resolve();
        });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
