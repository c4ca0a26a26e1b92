import {
  credentialsStopReason,
  downloadsStopReason,
  resumeBatch,
  resumeSubmissions,
} from "@veoq/pipeline";
import type { ResumeJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction } from "../run-action.ts";

export function registerResumeCommand(program: Command): void {
  program
    .command("resume")
    .description(
      "with a batch: lift its pause (by `veoq pause` or a budget); without: resume submissions after a credentials stop (401/402) or a manual pause, and downloads after the object store refused its credentials",
    )
    .argument("[batch]", "batch id")
    .option("--json", "print one JSON object")
    .action(
      runAction(async (batchId: string | undefined, flags: { json?: boolean }) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          if (batchId !== undefined) {
            const resumed = await resumeBatch(lifecycleOf(session), batchId);
            process.stdout.write(
              flags.json
                ? `${JSON.stringify({ batch_id: batchId, resumed })}\n`
                : resumed
                  ? `batch ${batchId} resumed\n`
                  : `batch ${batchId} was not paused\n`,
            );
            return 0;
          }
          const reason =
            (await credentialsStopReason(session.store)) ??
            (await downloadsStopReason(session.store));
          const wasPaused = await resumeSubmissions(session.store, session.queues);
          if (flags.json) {
            const json: ResumeJson = { was_paused: wasPaused, stopped_by: reason ?? null };
            process.stdout.write(`${JSON.stringify(json)}\n`);
            return 0;
          }
          process.stdout.write(
            wasPaused
              ? `resumed${reason ? ` (stopped by: ${reason})` : ""}\n`
              : "submit queue was not paused\n",
          );
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
