import { retryCancelledItems, retryFailedItems } from "@veoq/pipeline";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

export function registerRetryCommand(program: Command): void {
  program
    .command("retry")
    .description("re-queue the failed items of a batch")
    .argument("<batch>", "batch id")
    .option("--cancelled", "re-queue the cancelled items instead (lifts `veoq cancel`)")
    .action(
      runAction(async (batchId: string, flags: { cancelled?: boolean }) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          if ((await session.store.getBatch(batchId)) === undefined) {
            throw new UsageError(`no batch ${JSON.stringify(batchId)} (see \`pnpm veoq status\`)`);
          }
          const cancelled = flags.cancelled === true;
          const summary = cancelled
            ? await retryCancelledItems(lifecycleOf(session, config), batchId)
            : await retryFailedItems(session.store, session.queues, batchId, {
                submitAttempts: config.submitAttempts,
              });
          process.stdout.write(
            `batch ${batchId}: ${summary.retried} ${cancelled ? "cancelled" : "failed"} items re-queued\n`,
          );
          for (const { customId, reason } of summary.skipped.slice(0, 50)) {
            process.stdout.write(`could not retry ${customId}: ${reason}\n`);
          }
          if (summary.skipped.length > 50) {
            process.stdout.write(
              `... and ${summary.skipped.length - 50} more that could not be retried\n`,
            );
          }
          return summary.skipped.length > 0 ? 1 : 0;
        } finally {
          await session.close();
        }
      }),
    );
}
