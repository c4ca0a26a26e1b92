import {
  credentialsStopReason,
  downloadsStopReason,
  resumeBatch,
  resumeEveryKey,
  resumeKey,
  resumeSubmissions,
} from "@veoq/pipeline";
import type { ResumeJson } from "@veoq/report";
import type { Command } from "commander";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction } from "../run-action.ts";

export function registerResumeCommand(program: Command): void {
  program
    .command("resume")
    .description(
      "with a batch: lift its pause (by `veoq pause` or a budget); with --key: lift that API key's stop (a 401/402 on it); without: resume submissions after a credentials stop (401/402) or a manual pause, every stopped key, and downloads after the object store refused its credentials",
    )
    .argument("[batch]", "batch id")
    .option(
      "--key <name>",
      "lift the stop of one API key of the pool (its name, as `veoq keys` shows)",
    )
    .option("--json", "print one JSON object")
    .action(
      runAction((batchId: string | undefined, flags: { json?: boolean; key?: string }) =>
        withCommandTracing("veoq-cli", "veoq.resume", async (tracing) => {
          const config = loadConfig();
          const session = await openQueueSession(
            config,
            tracing === undefined ? {} : { telemetry: tracing.telemetry },
          );
          try {
            if (flags.key !== undefined) {
              const reason = await resumeKey(session.redis, config.prefix, flags.key);
              // Every key was stopped, so submissions were: one key back lifts that stop too.
              const deployment = await credentialsStopReason(session.store);
              const everyKey = deployment?.startsWith("every API key is stopped") === true;
              if (reason !== undefined && everyKey) {
                await resumeSubmissions(session.store, session.queues);
              }
              process.stdout.write(
                flags.json
                  ? `${JSON.stringify({ key: flags.key, resumed: reason !== undefined, stopped_by: reason ?? null, submissions_resumed: reason !== undefined && everyKey })}\n`
                  : reason === undefined
                    ? `key ${flags.key} was not stopped\n`
                    : `key ${flags.key} resumed (stopped by: ${reason})${everyKey ? "; submissions resumed" : ""}\n`,
              );
              return 0;
            }
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
            const keys = await resumeEveryKey(session.redis, config.prefix);
            const wasPaused =
              (await resumeSubmissions(session.store, session.queues)) || keys.length > 0;
            if (flags.json) {
              const json: ResumeJson = { was_paused: wasPaused, stopped_by: reason ?? null };
              process.stdout.write(
                `${JSON.stringify(keys.length > 0 ? { ...json, keys_resumed: keys } : json)}\n`,
              );
              return 0;
            }
            process.stdout.write(
              wasPaused
                ? `resumed${reason ? ` (stopped by: ${reason})` : ""}${keys.length > 0 ? `; keys resumed: ${keys.join(", ")}` : ""}\n`
                : "submit queue was not paused\n",
            );
            return 0;
          } finally {
            await session.close();
          }
        }),
      ),
    );
}
