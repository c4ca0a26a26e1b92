import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { batchResults, type ResultLine } from "@veoq/pipeline";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

/** The JSONL shape of one result line: snake_case, stable field order. */
export function toResultJson(line: ResultLine): Record<string, unknown> {
  if (line.status !== "completed" && line.status !== "failed") {
    return { batch_id: line.batchId, custom_id: line.customId, status: line.status };
  }
  return {
    batch_id: line.batchId,
    custom_id: line.customId,
    status: line.status,
    model: line.model,
    task_ids: line.taskIds,
    files: line.files.map((f) => ({
      path: f.path,
      bytes: f.bytes,
      sha256: f.sha256,
      ...(f.uri === undefined ? {} : { uri: f.uri }),
    })),
    error_kind: line.errorKind ?? null,
    error_message: line.errorMessage ?? null,
    attempts: line.submitAttempts,
    submissions: line.submission + 1,
    polls: line.polls,
    enqueued_at: new Date(line.enqueuedAt).toISOString(),
    submitted_at: line.submittedAt === undefined ? null : new Date(line.submittedAt).toISOString(),
    finished_at: line.finishedAt === undefined ? null : new Date(line.finishedAt).toISOString(),
    metadata: line.metadata ?? null,
  };
}

export function registerResultsCommand(program: Command): void {
  program
    .command("results")
    .description("JSONL of a batch: one line per custom_id with status, task ids, files and errors")
    .argument("<batch>", "batch id")
    .option("--out <file>", "write to a file instead of stdout")
    .action(
      runAction(async (batchId: string, flags: { out?: string }) => {
        const session = await openQueueSession(loadConfig());
        try {
          if ((await session.store.getBatch(batchId)) === undefined) {
            throw new UsageError(
              `no batch ${JSON.stringify(batchId)} (run \`pnpm veoq status\` to list batches)`,
            );
          }
          const out = flags.out ? createWriteStream(flags.out) : process.stdout;
          let count = 0;
          for await (const line of batchResults(session.store, batchId)) {
            if (!out.write(`${JSON.stringify(toResultJson(line))}\n`)) await once(out, "drain");
            count++;
          }
          if (flags.out && out !== process.stdout) {
            out.end();
            await once(out, "finish");
            process.stderr.write(`wrote ${count} results to ${flags.out}\n`);
          }
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
