import {
  type BatchControlState,
  type BatchSpend,
  batchSchedulingOf,
  batchStateOf,
  credentialsStopReason,
  credentialsStopTimes,
  downloadsStopReason,
  type KeyFigures,
  overviewOf,
  QUEUE_ROLES,
  readKeyFigures,
  readWorkCapacity,
  type WorkCapacity,
  waitingReasonOf,
} from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import {
  type BatchJson,
  type PricesInUse,
  remainingSeconds,
  type StatusJson,
  toBatchJson,
} from "@veoq/report";
import type { Command } from "commander";
import { batchSpendToJson, formatBatchSpend } from "../batch-spend-text.ts";
import { fitToWidth, formatBatch, nextStep } from "../batch-text.ts";
import { loadConfig, terminalColumns } from "../env.ts";
import { formatKeys, keyToJson } from "../key-figures-text.ts";
import { ObservedRate } from "../observed-rate.ts";
import {
  isRedisConnectionError,
  openQueueSession,
  type QueueSession,
  RedisUnreachableError,
} from "../queue-session.ts";
import { redisFaultOf } from "../redis-fault.ts";
import { redrawFrame } from "../redraw-frame.ts";
import { runAction, UsageError } from "../run-action.ts";

interface StatusFlags {
  json?: boolean;
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 1000;

/** Each batch's pause/cancel and money, by batch id, read beside the snapshot. */
type Lifecycles = Map<string, { control: BatchControlState; spend: BatchSpend }>;

async function readLifecycles(
  session: QueueSession,
  snapshot: StatusJson,
  controls: ReadonlyMap<string, BatchControlState>,
): Promise<Lifecycles> {
  const ids = snapshot.batches.map((b) => b.batch_id);
  const spends = await session.store.spend.readMany(ids);
  return new Map(
    ids.flatMap((id, i) => {
      const control = controls.get(id);
      const spend = spends[i];
      return control && spend ? [[id, { control, spend }] as const] : [];
    }),
  );
}

/**
 * Each open batch's `waiting_reason` (pipeline's waitingReasonOf) and the live workers per role,
 * from what status already read plus the heartbeat records and provider slots.
 */
function addWaitingReasons(
  snapshot: StatusJson,
  lifecycles: Lifecycles,
  capacity: WorkCapacity,
  now: number,
): void {
  snapshot.workers = {
    submit: 0,
    poll: 0,
    download: 0,
    ...Object.fromEntries(
      QUEUE_ROLES.map((role) => [
        role,
        capacity.workers.filter((w) => w.roles.includes(role)).length,
      ]),
    ),
  };
  for (const batch of snapshot.batches) {
    const control = lifecycles.get(batch.batch_id)?.control ?? { state: "running" as const };
    batch.state = batchStateOf({
      finished: batch.finished,
      control,
      credentialsStop: snapshot.credentials_stop ?? undefined,
    });
    // A paused, stopped or cancelled batch has no ETA: its rate says nothing of when it ends.
    if (batch.state !== "running") batch.eta_seconds = null;
    const reason = batch.finished
      ? undefined
      : waitingReasonOf({
          counts: batch.counts,
          liveRoles: capacity.liveRoles,
          control,
          credentialsStop: snapshot.credentials_stop ?? undefined,
          submitPaused: snapshot.submit_paused,
          slots: capacity.slots,
          liveKeys: capacity.liveKeys,
          keyWait:
            batch.key_wait === undefined
              ? undefined
              : {
                  key: batch.key_wait.key,
                  role: batch.key_wait.stage,
                  at: Date.parse(batch.key_wait.since),
                },
          now,
        });
    batch.waiting_reason = reason ?? null;
  }
}

/**
 * `--json`: each batch with its `control` and `spend` (money in the currency); a batch whose
 * items are all final has `control.state` `finished`, whatever its pause or cancel record says.
 */
function withLifecycles(snapshot: StatusJson, lifecycles: Lifecycles, prices: PricesInUse) {
  return {
    ...snapshot,
    batches: snapshot.batches.map((batch) => {
      const life = lifecycles.get(batch.batch_id);
      if (!life) return batch;
      const control = batch.finished ? { state: "finished" as const } : life.control;
      return { ...batch, ...batchSpendToJson(control, life.spend, prices) };
    }),
  };
}

/**
 * One batch's numbers when `batchId` is given; the newest batches and queue totals otherwise;
 * with each batch's control record (its pauses are left out of elapsed time and the rate).
 */
async function collect(
  session: QueueSession,
  batchId: string | undefined,
): Promise<{ snapshot: StatusJson; controls: Map<string, BatchControlState> }> {
  const ids = batchId === undefined ? await session.store.listBatchIds(50) : [batchId];
  const now = Date.now();
  const batches: BatchJson[] = [];
  const [records, controlList, stops] = await Promise.all([
    Promise.all(ids.map((id) => session.store.getBatch(id))),
    session.store.control.readMany(ids),
    credentialsStopTimes(session.store),
  ]);
  const controls = new Map<string, BatchControlState>();
  records.forEach((batch, i) => {
    const control = controlList[i];
    if (batch === undefined) return;
    if (control !== undefined) controls.set(batch.id, control);
    batches.push(toBatchJson(overviewOf(batch, now, control, stops)));
  });
  const scheduling = await batchSchedulingOf(
    session.store,
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
  const [submitPaused, stopReason, downloadsStop] = await Promise.all([
    session.queues.submit.isPaused(),
    credentialsStopReason(session.store),
    downloadsStopReason(session.store),
  ]);
  const snapshot: StatusJson = {
    batches,
    submit_paused: submitPaused,
    credentials_stop: stopReason ?? null,
    downloads_stop: downloadsStop ?? null,
  };
  if (batchId === undefined) {
    const [submit, poll, download] = await Promise.all([
      session.queues.submit.getJobCounts(),
      session.queues.poll.getJobCounts(),
      session.queues.download.getJobCounts(),
    ]);
    snapshot.queues = { submit, poll, download };
  }
  return { snapshot, controls };
}

/**
 * The keys worth a section in status: every key once the pool has more than one, or a stopped
 * one; a deployment with its one key running fine shows none (as before pools).
 */
function keysToShow(keys: readonly KeyFigures[]): readonly KeyFigures[] {
  return keys.length > 1 || keys.some((k) => k.state === "stopped") ? keys : [];
}

function render(
  snapshot: StatusJson,
  width: number,
  lifecycles: Lifecycles,
  prices: PricesInUse,
  keys: readonly KeyFigures[],
): string[] {
  const lines: string[] = [];
  if (snapshot.credentials_stop) {
    lines.push(`!! submissions stopped: ${snapshot.credentials_stop}`);
    lines.push("!! fix the credentials or balance, then run `veoq resume`");
  } else if (snapshot.submit_paused) {
    lines.push("!! the submit queue is paused (`veoq resume` resumes it)");
  }
  if (snapshot.downloads_stop) {
    lines.push(`!! downloads stopped: ${snapshot.downloads_stop}`);
    lines.push(
      "!! fix the bucket's credentials: workers resume by themselves once it takes writes, or run `veoq resume`",
    );
  }
  if (snapshot.batches.length === 0) lines.push("no batches yet (`veoq enqueue <manifest>`)");
  for (const batch of snapshot.batches) {
    lines.push(...formatBatch(batch, { width }));
    if (batch.priority !== undefined && !batch.finished) {
      lines.push(
        `  priority ${batch.priority}, ${batch.provider_slots ?? 0} provider slot(s) held (${Math.round(100 * (batch.slot_share ?? 0))} % of those in use)`,
      );
    }
    if (batch.waiting_reason) lines.push(`  !! waiting: ${batch.waiting_reason.message}`);
    const life = lifecycles.get(batch.batch_id);
    if (life) lines.push(...formatBatchSpend(batch.batch_id, life.control, life.spend, prices));
    const next = nextStep(batch);
    if (next !== undefined) lines.push(`  ${next}`);
  }
  const shownKeys = keysToShow(keys);
  if (shownKeys.length > 0) {
    lines.push("API keys:");
    lines.push(...formatKeys(shownKeys, prices.currency).map((line) => `  ${line}`));
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

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("counts per state and progress of one batch, or of every batch")
    .argument("[batch]", "batch id")
    .option("--json", "print JSON (one object per refresh with --watch)")
    .option(
      "--watch",
      "refresh every second until the batch is final, retrying through a Redis blip (Ctrl-C to stop)",
    )
    .action(
      runAction(async (batchId: string | undefined, flags: StatusFlags) => {
        const config = loadConfig();
        const prices = loadPriceTable(config.prices);
        // --watch goes on through a Redis blip: the session is opened again once Redis answers.
        let session: QueueSession | undefined = await openQueueSession(config);
        const inPlace = flags.watch === true && flags.json !== true && process.stdout.isTTY;
        const rate = new ObservedRate();
        let drawn = 0;
        let lastFrame = "";
        const show = (lines: string[]) => {
          const frame = lines.join("\n");
          if (inPlace) {
            process.stdout.write(redrawFrame(drawn, lines));
            drawn = lines.length;
          } else if (frame !== lastFrame) {
            process.stdout.write(`${frame}\n`);
          }
          lastFrame = frame;
        };
        try {
          for (;;) {
            let allFinal = false;
            try {
              session ??= await openQueueSession(config);
              const { snapshot, controls } = await collect(session, batchId);
              const [lifecycles, capacity, keys] = await Promise.all([
                readLifecycles(session, snapshot, controls),
                readWorkCapacity(session.store),
                readKeyFigures(session.redis, config.prefix, Date.now()),
              ]);
              addWaitingReasons(snapshot, lifecycles, capacity, Date.now());
              if (flags.watch) {
                const now = Date.now();
                for (const batch of snapshot.batches) {
                  const worked = batch.counts.completed + batch.counts.failed;
                  const observed = rate.observe(batch.batch_id, now, worked);
                  if (batch.state === "running" && observed !== undefined) {
                    batch.eta_seconds =
                      remainingSeconds(batch.total - batch.done, observed) ?? null;
                  }
                }
              }
              if (flags.json) {
                const json = withLifecycles(snapshot, lifecycles, prices);
                const shownKeys = keysToShow(keys);
                process.stdout.write(
                  `${JSON.stringify(shownKeys.length === 0 ? json : { ...json, keys: shownKeys.map((k) => keyToJson(k, prices.currency)) })}\n`,
                );
              } else {
                show(render(snapshot, terminalColumns(), lifecycles, prices, keys));
              }
              allFinal = snapshot.batches.length > 0 && snapshot.batches.every((b) => b.finished);
            } catch (error) {
              const lost = error instanceof RedisUnreachableError || isRedisConnectionError(error);
              if (!flags.watch || !lost) throw error;
              const why =
                error instanceof RedisUnreachableError ? error.message : redisFaultOf(error);
              const line = `!! Redis unreachable, retrying every ${WATCH_INTERVAL_MS / 1000} s (${why})`;
              if (flags.json) process.stderr.write(`${line}\n`);
              else show([fitToWidth(line, terminalColumns())]);
              // Closing waits on the lost connection at most a moment; the client is dropped anyway.
              const closing = session?.close().catch(() => {});
              await Promise.race([closing, new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS))]);
              session = undefined;
            }
            if (!flags.watch || allFinal) return 0;
            await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
          }
        } finally {
          await session?.close();
        }
      }),
    );
}
