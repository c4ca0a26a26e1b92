import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { batchResults, type ItemState, RESULT_ORDERS, type ResultOrder } from "@veoq/pipeline";
import { RESULT_STATES, toResultJson } from "@veoq/report";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

function parseOrder(value: string): ResultOrder {
  const order = RESULT_ORDERS.find((o) => o === value);
  if (order === undefined) throw new InvalidArgumentError(`must be ${RESULT_ORDERS.join(" or ")}`);
  return order;
}

function parseState(value: string): ItemState {
  const state = RESULT_STATES.find((s) => s === value);
  if (state === undefined) {
    throw new InvalidArgumentError(`must be one of ${RESULT_STATES.join(", ")}`);
  }
  return state;
}

export function registerResultsCommand(program: Command): void {
  program
    .command("results")
    .description("JSONL of a batch: one line per custom_id with status, task ids, files and errors")
    .argument("<batch>", "batch id")
    .option("--out <file>", "write to a file instead of stdout")
    .option("--status <state>", `only items in this state: ${RESULT_STATES.join(", ")}`, parseState)
    .option(
      "--order <order>",
      "manifest (default: as the manifest listed the items) or finished (final items by finish time, then the open ones)",
      parseOrder,
    )
    .action(
      runAction(
        async (
          batchId: string,
          flags: { out?: string; status?: ItemState; order?: ResultOrder },
        ) => {
          const session = await openQueueSession(loadConfig());
          try {
            if ((await session.store.getBatch(batchId)) === undefined) {
              throw new UsageError(
                `no batch ${JSON.stringify(batchId)} (run \`veoq status\` to list batches)`,
              );
            }
            const out = flags.out ? createWriteStream(flags.out) : process.stdout;
            let count = 0;
            for await (const line of batchResults(session.store, batchId, {
              order: flags.order ?? "manifest",
            })) {
              if (flags.status !== undefined && line.status !== flags.status) continue;
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
        },
      ),
    );
}
