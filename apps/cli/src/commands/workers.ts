import { QUEUE_ROLES } from "@veoq/pipeline";
import { formatDuration, toWorkersJson, type WorkersJson } from "@veoq/report";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction } from "../run-action.ts";

interface WorkersFlags {
  json?: boolean;
}

/** One line per live worker process, then one loud line per role no process works on. */
export function formatWorkers(snapshot: WorkersJson): string[] {
  const now = Date.parse(snapshot.generated_at);
  const ago = (iso: string) => formatDuration((now - Date.parse(iso)) / 1000);
  const lines =
    snapshot.workers.length === 0
      ? ["no worker process is running (`veoq worker` starts one)"]
      : snapshot.workers.map((w) => {
          const roles = w.roles.map((r) => `${r}×${w.concurrency[r] ?? "?"}`).join(",");
          const last =
            w.last_job === null
              ? "no job yet"
              : `last job ${ago(w.last_job.at)} ago (${w.last_job.role} ${w.last_job.job_id})`;
          return `${w.host}:${w.pid}  ${roles}  v${w.version}  up ${ago(w.started_at)}  ${last}`;
        });
  for (const role of QUEUE_ROLES) {
    if (snapshot.workers.length > 0 && snapshot.roles[role] === 0) {
      lines.push(`!! no ${role} worker is running: ${role} jobs wait until one starts`);
    }
  }
  return lines;
}

export function registerWorkersCommand(program: Command): void {
  program
    .command("workers")
    .description(
      "the live worker processes (roles, host, pid, version, uptime, last job) from their heartbeats",
    )
    .option("--json", "print JSON")
    .action(
      runAction(async (flags: WorkersFlags) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          const records = await session.store.workers.list();
          const snapshot = toWorkersJson(records, Date.now());
          process.stdout.write(
            flags.json
              ? `${JSON.stringify(snapshot)}\n`
              : `${formatWorkers(snapshot).join("\n")}\n`,
          );
          return EXIT_OK;
        } finally {
          await session.close();
        }
      }),
    );
}
