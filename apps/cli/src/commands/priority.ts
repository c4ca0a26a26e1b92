import { changeBatchPriority, PRIORITY_LEVELS, type PriorityLevel } from "@veoq/pipeline";
import type { PriorityJson } from "@veoq/report";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction } from "../run-action.ts";

/** Parses `high|normal|low` for --priority and `veoq priority`. */
export function parsePriorityLevel(value: string): PriorityLevel {
  if (!(PRIORITY_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${PRIORITY_LEVELS.join(", ")}`);
  }
  return value as PriorityLevel;
}

export function registerPriorityCommand(program: Command): void {
  program
    .command("priority")
    .description(
      "set a batch's priority (high|normal|low): its waiting items keep their turn and take the new level",
    )
    .argument("<batch>", "batch id")
    .argument("<level>", PRIORITY_LEVELS.join("|"), parsePriorityLevel)
    .option("--json", "print one JSON object")
    .action(
      runAction(async (batchId: string, level: PriorityLevel, flags: { json?: boolean }) => {
        const session = await openQueueSession(loadConfig());
        try {
          if ((await session.store.getBatch(batchId)) === undefined) {
            process.stderr.write(`no batch ${JSON.stringify(batchId)}\n`);
            return 1;
          }
          const change = await changeBatchPriority(session.queues, session.store, batchId, level);
          if (flags.json) {
            const json: PriorityJson = {
              batch_id: batchId,
              priority: level,
              reprioritised: change.changed,
            };
            process.stdout.write(`${JSON.stringify(json)}\n`);
            return 0;
          }
          process.stdout.write(
            `batch ${batchId} is now ${level}: ${change.changed} waiting item(s) re-prioritised\n`,
          );
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
