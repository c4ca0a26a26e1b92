import {
  BatchControl,
  type BatchOverview,
  type BatchSpend,
  credentialsStopReason,
  overviewOf,
  SpendLedger,
} from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import type { Command } from "commander";
import { batchSpendToJson, formatBatchSpend } from "../batch-spend-text.ts";
import { formatBatch } from "../batch-text.ts";
import { loadConfig } from "../env.ts";
import { openQueueSession, type QueueSession } from "../queue-session.ts";
import { runAction, UsageError } from "../run-action.ts";

interface StatusFlags {
  json?: boolean;
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 1000;

async function collect(session: QueueSession, prefix: string, batchId: string | undefined) {
  const ids = batchId === undefined ? await session.store.listBatchIds(50) : [batchId];
  const now = Date.now();
  const batches: BatchOverview[] = [];
  for (const batch of await Promise.all(ids.map((id) => session.store.getBatch(id)))) {
    if (batch) batches.push(overviewOf(batch, now));
  }
  if (batchId !== undefined && batches.length === 0) {
    throw new UsageError(
      `no batch ${JSON.stringify(batchId)} (run \`pnpm veoq status\` to list batches)`,
    );
  }
  const [controls, spends] = await Promise.all([
    new BatchControl(session.redis, prefix).readMany(batches.map((b) => b.id)),
    new SpendLedger(session.redis, prefix).readMany(batches.map((b) => b.id)),
  ]);
  const [submit, poll, download, submitPaused, stopReason] = await Promise.all([
    session.queues.submit.getJobCounts(),
    session.queues.poll.getJobCounts(),
    session.queues.download.getJobCounts(),
    session.queues.submit.isPaused(),
    credentialsStopReason(session.store),
  ]);
  return {
    batches: batches.map((batch, i) => ({
      ...batch,
      control: controls[i] ?? ({ state: "running" } as const),
      spend: spends[i] ?? emptySpend(),
    })),
    queues: { submit, poll, download },
    submitPaused,
    credentialsStop: stopReason ?? null,
  };
}

type Snapshot = Awaited<ReturnType<typeof collect>>;

function emptySpend(): BatchSpend {
  return {
    currency: undefined,
    estimateMicros: 0,
    estimateTasks: 0,
    estimateSeconds: 0,
    budgetMicros: undefined,
    spentMicros: 0,
    reservedMicros: 0,
  };
}

/** The snapshot as `--json` prints it: money in the currency, not micro-units. */
function toJson(snapshot: Snapshot, currency: string) {
  return {
    ...snapshot,
    batches: snapshot.batches.map((batch) => ({
      ...batch,
      ...batchSpendToJson(batch.control, batch.spend, currency),
    })),
  };
}

function render(snapshot: Snapshot, currency: string): string {
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
    lines.push(...formatBatchSpend(batch.id, batch.control, batch.spend, currency));
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
        const config = loadConfig();
        const { currency } = loadPriceTable(config.prices);
        const session = await openQueueSession(config);
        try {
          for (;;) {
            const snapshot = await collect(session, config.prefix, batchId);
            if (flags.json) process.stdout.write(`${JSON.stringify(toJson(snapshot, currency))}\n`);
            else {
              if (flags.watch && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
              process.stdout.write(render(snapshot, currency));
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
