import { credentialsStopReason, resumeSubmissions } from "@veoq/pipeline";
import type { ResumeJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { runAction } from "../run-action.ts";

export function registerResumeCommand(program: Command): void {
  program
    .command("resume")
    .description("resume submissions after a credentials stop (401/402) or a manual pause")
    .option("--json", "print one JSON object")
    .action(
      runAction(async (flags: { json?: boolean }) => {
        const session = await openQueueSession(loadConfig());
        try {
          const reason = await credentialsStopReason(session.store);
          const wasPaused = await resumeSubmissions(session.store, session.queues);
          if (flags.json) {
            const json: ResumeJson = { was_paused: wasPaused, stopped_by: reason ?? null };
            process.stdout.write(`${JSON.stringify(json)}\n`);
            return 0;
          }
          process.stdout.write(
            wasPaused
              ? `submit queue resumed${reason ? ` (it was stopped by: ${reason})` : ""}\n`
              : "submit queue was not paused\n",
          );
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
