import { batchSchedulingOf, credentialsStopReason, overviewOf } from "@veoq/pipeline";
import { type BatchJson, remainingSeconds, type StatusJson, toBatchJson } from "@veoq/report";
import type { Command } from "commander";
import { fitToWidth, formatBatch, nextStep } from "../batch-text.ts";
import { loadConfig, terminalColumns } from "../env.ts";
import { ObservedRate } from "../observed-rate.ts";
import { openQueueSession, type QueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

interface StatusFlags {
  json?: boolean;
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 1000;

/** One batch's numbers when `batchId` is given; the newest batches and queue totals otherwise. */
async function collect(session: QueueSession, batchId: string | undefined): Promise<StatusJson> {
  const ids = batchId === undefined ? await session.store.listBatchIds(50) : [batchId];
  const now = Date.now();
  const batches: BatchJson[] = [];
  for (const batch of await Promise.all(ids.map((id) => session.store.getBatch(id)))) {
    if (batch) batches.push(toBatchJson(overviewOf(batch, now)));
  }
  const scheduling = await batchSchedulingOf(
    session.store,
    session.queues,
    batches.map((b) => b.batch_id),
  );
  for (const batch of batches) {
    const entry = scheduling.get(batch.batch_id);
    if (entry === undefined) continue;
    batch.priority = entry.priority;
    batch.provider_slots = entry.slots;
    batch.slot_share = entry.slotShare;
  }
  if (batchId !== undefined && batches.length === 0) {
    throw new UsageError(
      `no batch ${JSON.stringify(batchId)} (run \`veoq status\` to list batches)`,
    );
  }
  const [submitPaused, stopReason] = await Promise.all([
    session.queues.submit.isPaused(),
    credentialsStopReason(session.store),
  ]);
  const snapshot: StatusJson = {
    batches,
    submit_paused: submitPaused,
    credentials_stop: stopReason ?? null,
  };
  if (batchId === undefined) {
    const [submit, poll, download] = await Promise.all([
      session.queues.submit.getJobCounts(),
      session.queues.poll.getJobCounts(),
      session.queues.download.getJobCounts(),
    ]);
    snapshot.queues = { submit, poll, download };
  }
  return snapshot;
}

function render(snapshot: StatusJson, width: number): string[] {
  const lines: string[] = [];
  if (snapshot.credentials_stop) {
    lines.push(`!! submissions stopped: ${snapshot.credentials_stop}`);
    lines.push("!! fix the credentials or balance, then run `veoq resume`");
  } else if (snapshot.submit_paused) {
    lines.push("!! the submit queue is paused (`veoq resume` resumes it)");
  }
  if (snapshot.batches.length === 0) lines.push("no batches yet (`veoq enqueue <manifest>`)");
  for (const batch of snapshot.batches) {
    lines.push(...formatBatch(batch, { width }));
    if (batch.priority !== undefined && !batch.finished) {
      lines.push(
        `  priority ${batch.priority}, ${batch.provider_slots ?? 0} provider slot(s) held (${Math.round(100 * (batch.slot_share ?? 0))} % of those in use)`,
      );
    }
    const next = nextStep(batch);
    if (next !== undefined) lines.push(`  ${next}`);
  }
  for (const [name, counts] of Object.entries(snapshot.queues ?? {})) {
    lines.push(
      `queue ${name.padEnd(8)} ${
        Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([state, n]) => `${state} ${n}`)
          .join("  ") || "empty"
      }`,
    );
  }
  return lines.map((line) => fitToWidth(line, width));
}

/** Cursor up over the previous frame, then each line cleared and rewritten: no screen clear. */
function redraw(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `\x1b[${previousLines}A` : "";
  return `${up}${lines.map((line) => `\r\x1b[2K${line}\n`).join("")}`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("counts per state and progress of one batch, or of every batch")
    .argument("[batch]", "batch id")
    .option("--json", "print JSON (one object per refresh with --watch)")
    .option("--watch", "refresh every second until the batch is final (Ctrl-C to stop)")
    .action(
      runAction(async (batchId: string | undefined, flags: StatusFlags) => {
        const session = await openQueueSession(loadConfig());
        const inPlace = flags.watch === true && flags.json !== true && process.stdout.isTTY;
        const rate = new ObservedRate();
        let drawn = 0;
        let lastFrame = "";
        try {
          for (;;) {
            const snapshot = await collect(session, batchId);
            if (flags.watch) {
              const now = Date.now();
              for (const batch of snapshot.batches) {
                const observed = rate.observe(batch.batch_id, now, batch.done);
                if (!batch.finished && observed !== undefined) {
                  batch.eta_seconds = remainingSeconds(batch.total - batch.done, observed) ?? null;
                }
              }
            }
            if (flags.json) process.stdout.write(`${JSON.stringify(snapshot)}\n`);
            else {
              const lines = render(snapshot, terminalColumns());
              const frame = lines.join("\n");
              if (inPlace) {
                process.stdout.write(redraw(drawn, lines));
                drawn = lines.length;
              } else if (frame !== lastFrame) {
                process.stdout.write(`${frame}\n`);
              }
              lastFrame = frame;
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
