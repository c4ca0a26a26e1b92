import { pauseBatch } from "@veoq/pipeline";
import type { PauseJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction } from "../run-action.ts";

export function registerPauseCommand(program: Command): void {
  program
    .command("pause")
    .description(
      "no new creates for a batch; creates already past the spend gate when it returns still land (at most VEOQ_SUBMIT_CONCURRENCY per worker process); tasks at the provider are still followed and saved",
    )
    .argument("<batch>", "batch id")
    .option("--json", "print one JSON object")
    .action(
      runAction(async (batchId: string, flags: { json?: boolean }) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          const changed = await pauseBatch(lifecycleOf(session), batchId);
          if (flags.json) {
            const json: PauseJson = { batch_id: batchId, changed };
            process.stdout.write(`${JSON.stringify(json)}\n`);
            return EXIT_OK;
          }
          process.stdout.write(
            changed
              ? `batch ${batchId} paused: \`veoq resume ${batchId}\` to go on\n`
              : `batch ${batchId} was already paused (or is cancelled)\n`,
          );
          return EXIT_OK;
        } finally {
          await session.close();
        }
      }),
    );
}
