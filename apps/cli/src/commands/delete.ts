import { objectStoreFromConfig } from "@veoq/object-store";
import {
  BatchBusyError,
  BatchControl,
  BatchInFlightError,
  type DeleteBatchSummary,
  deleteBatch,
} from "@veoq/pipeline";
import type { DeleteJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, EXIT_PROBLEM, runAction } from "../run-action.ts";

interface DeleteFlags {
  files?: boolean;
  json?: boolean;
}

/** The --json shape of a delete (also the HTTP API's DELETE /v1/batches/{id} answer). */
export function deleteToJson(summary: DeleteBatchSummary): DeleteJson {
  return {
    batch_id: summary.batchId,
    items: summary.items,
    jobs: summary.jobs,
    index_entries: summary.indexEntries,
    keys: summary.keys,
    files: summary.files ?? null,
  };
}

export function registerDeleteCommand(program: Command): void {
  program
    .command("delete")
    .description(
      "remove a batch from Redis: its records, its jobs in the queues and its request-index entries (refused while items are not final, unless the batch is cancelled first); --files also removes its output files or objects",
    )
    .argument("<batch>", "batch id")
    .option("--files", "also remove the batch's output files (<out>/<batch>/) or bucket objects")
    .option("--json", "print one JSON object")
    .action(
      runAction(async (batchId: string, flags: DeleteFlags) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        const objectStore = flags.files === true ? objectStoreFromConfig(config) : undefined;
        try {
          const summary = await deleteBatch(
            {
              store: session.store,
              queues: session.queues,
              control: new BatchControl(session.redis, config.prefix),
              outputDir: config.outputDir,
              objectStore,
            },
            batchId,
            { files: flags.files === true },
          ).catch((error: unknown) => {
            if (error instanceof BatchInFlightError || error instanceof BatchBusyError) {
              process.stderr.write(`veoq: ${error.message}\n`);
              return undefined;
            }
            throw error;
          });
          if (summary === undefined) return EXIT_PROBLEM;
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(deleteToJson(summary))}\n`);
            return EXIT_OK;
          }
          process.stdout.write(
            `batch ${batchId} deleted: ${summary.items} items, ${summary.jobs} queue jobs, ${summary.indexEntries} index entries, ${summary.keys} record keys` +
              (summary.files === undefined
                ? " (its files stay; --files removes them)\n"
                : `, ${summary.files} output files\n`),
          );
          return EXIT_OK;
        } finally {
          objectStore?.close();
          await session.close();
        }
      }),
    );
}
