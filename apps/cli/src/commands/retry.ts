import { retryFailedItems } from "@veoq/pipeline";
import { countOf, toRetryJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

/** Skipped items listed one per line; the rest are counted. */
const MAX_LISTED_SKIPPED = 50;

export function registerRetryCommand(program: Command): void {
  program
    .command("retry")
    .description("re-queue the failed items of a batch")
    .argument("<batch>", "batch id")
    .option("--include-permanent", "also re-submit failures that will fail again (paid)")
    .option("--json", "print one JSON summary object")
    .action(
      runAction(async (batchId: string, flags: { json?: boolean; includePermanent?: boolean }) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          if ((await session.store.getBatch(batchId)) === undefined) {
            throw new UsageError(`no batch ${JSON.stringify(batchId)} (see \`veoq status\`)`);
          }
          const summary = await retryFailedItems(session.store, session.queues, batchId, {
            submitAttempts: config.submitAttempts,
            includePermanent: flags.includePermanent === true,
          });
          const leftAlone = summary.plan.includePermanent ? 0 : summary.plan.permanent;
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(toRetryJson(batchId, summary))}\n`);
            return summary.skipped.length > 0 ? 1 : 0;
          }
          process.stdout.write(
            `batch ${batchId}: ${countOf(summary.retried, "failed item")} re-queued\n`,
          );
          if (leftAlone > 0) {
            process.stdout.write(
              `${countOf(leftAlone, "failure")} that will fail again (invalid request, content policy) left alone; \`veoq retry ${batchId} --include-permanent\` pays for ${leftAlone === 1 ? "it" : "them"} again\n`,
            );
          }
          for (const { customId, reason } of summary.skipped.slice(0, MAX_LISTED_SKIPPED)) {
            process.stdout.write(`could not retry ${customId}: ${reason}\n`);
          }
          if (summary.skipped.length > MAX_LISTED_SKIPPED) {
            process.stdout.write(
              `... and ${summary.skipped.length - MAX_LISTED_SKIPPED} more that could not be retried\n`,
            );
          }
          return summary.skipped.length > 0 ? 1 : 0;
        } finally {
          await session.close();
        }
      }),
    );
}
