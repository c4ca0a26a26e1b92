import {
  type BatchOverview,
  type BatchScheduling,
  batchSchedulingOf,
  credentialsStopReason,
  overviewOf,
} from "@veoq/pipeline";
import type { Command } from "commander";
import { formatBatch } from "../batch-text.ts";
import { loadConfig } from "../env.ts";
import { openQueueSession, type QueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

interface StatusFlags {
  json?: boolean;
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 1000;

async function collect(session: QueueSession, batchId: string | undefined) {
  const ids = batchId === undefined ? await session.store.listBatchIds(50) : [batchId];
  const now = Date.now();
  const batches: (BatchOverview & { scheduling?: BatchScheduling })[] = [];
  for (const batch of await Promise.all(ids.map((id) => session.store.getBatch(id)))) {
    if (batch) batches.push(overviewOf(batch, now));
  }
  const scheduling = await batchSchedulingOf(
    session.store,
    session.queues,
    batches.map((b) => b.id),
  );
  for (const batch of batches) {
    const entry = scheduling.get(batch.id);
    if (entry !== undefined) batch.scheduling = entry;
  }
  if (batchId !== undefined && batches.length === 0) {
    throw new UsageError(
      `no batch ${JSON.stringify(batchId)} (run \`pnpm veoq status\` to list batches)`,
    );
  }
  const [submit, poll, download, submitPaused, stopReason] = await Promise.all([
    session.queues.submit.getJobCounts(),
    session.queues.poll.getJobCounts(),
    session.queues.download.getJobCounts(),
    session.queues.submit.isPaused(),
    credentialsStopReason(session.store),
  ]);
  return {
    batches,
    queues: { submit, poll, download },
    submitPaused,
    credentialsStop: stopReason ?? null,
  };
}

function render(snapshot: Awaited<ReturnType<typeof collect>>): string {
  const lines: string[] = [];
  if (snapshot.credentialsStop) {
    lines.push(`!! submissions stopped: ${snapshot.credentialsStop}`);
    lines.push("!! fix the credentials or balance, then run `pnpm veoq resume`");
  } else if (snapshot.submitPaused) {
    lines.push("!! the submit queue is paused (`pnpm veoq resume` resumes it)");
  }
  if (snapshot.batches.length === 0) lines.push("no batches yet (`pnpm veoq enqueue <manifest>`)");
  for (const batch of snapshot.batches) {
    lines.push(...formatBatch(batch));
    const s = batch.scheduling;
    if (s !== undefined && !batch.finished) {
      lines.push(
        `  priority ${s.priority}, ${s.slots} provider slot(s) held (${Math.round(100 * s.slotShare)} % of those in use)`,
      );
    }
  }
  for (const [name, counts] of Object.entries(snapshot.queues)) {
    lines.push(
      `queue ${name.padEnd(8)} ${
        Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([state, n]) => `${state} ${n}`)
          .join("  ") || "empty"
      }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("counts per state and progress of one batch, or of every batch")
    .argument("[batch]", "batch id")
    .option("--json", "print JSON")
    .option("--watch", "refresh every second until the batch is final (Ctrl-C to stop)")
    .action(
      runAction(async (batchId: string | undefined, flags: StatusFlags) => {
        const session = await openQueueSession(loadConfig());
        try {
          for (;;) {
            const snapshot = await collect(session, batchId);
            if (flags.json) process.stdout.write(`${JSON.stringify(snapshot)}\n`);
            else {
              if (flags.watch && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
              process.stdout.write(render(snapshot));
            }
            const allFinal =
              snapshot.batches.length > 0 && snapshot.batches.every((b) => b.finished);
            if (!flags.watch || allFinal) return 0;
            await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
          }
        } finally {
          await session.close();
        }
      }),
    );
}
