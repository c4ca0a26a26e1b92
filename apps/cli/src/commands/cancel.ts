import { cancelBatch } from "@veoq/pipeline";
import type { CancelJson } from "@veoq/report";
import type { Command } from "commander";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction } from "../run-action.ts";

interface CancelFlags {
  dropInFlight?: boolean;
  json?: boolean;
}

export function registerCancelCommand(program: Command): void {
  program
    .command("cancel")
    .description(
      "end a batch's items not yet created as `cancelled` (no create is sent for them; creates already past the spend gate when it returns still land, at most VEOQ_SUBMIT_CONCURRENCY per worker process); items already created finish, since they are paid",
    )
    .argument("<batch>", "batch id")
    .option(
      "--drop-in-flight",
      "also stop following tasks already created (they are paid; their videos are not saved)",
    )
    .option("--json", "print one JSON object")
    .action(
      runAction((batchId: string, flags: CancelFlags) =>
        withCommandTracing("veoq-cli", "veoq.cancel", async (tracing) => {
          const config = loadConfig();
          const session = await openQueueSession(
            config,
            tracing === undefined ? {} : { telemetry: tracing.telemetry },
          );
          try {
            const dropInFlight = flags.dropInFlight === true;
            const summary = await cancelBatch(lifecycleOf(session), batchId, {
              dropInFlight,
            });
            if (flags.json) {
              const json: CancelJson = {
                batch_id: batchId,
                changed: summary.changed,
                cancelled: summary.cancelled,
                in_flight: summary.inFlight,
                drop_in_flight: dropInFlight,
              };
              process.stdout.write(`${JSON.stringify(json)}\n`);
              return EXIT_OK;
            }
            process.stdout.write(
              `batch ${batchId} ${summary.changed ? "cancelled" : "was already cancelled"}: ${summary.cancelled} queued items cancelled now (workers end the rest without a create); ${summary.inFlight} items already created ` +
                (dropInFlight
                  ? `are no longer followed: ${summary.inFlight} paid tasks abandoned\n`
                  : "still finish (pass --drop-in-flight to abandon them)\n"),
            );
            return EXIT_OK;
          } finally {
            await session.close();
          }
        }),
      ),
    );
}
