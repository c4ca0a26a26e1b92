import path from "node:path";
import { describeRedisTarget } from "@veoq/config";
import { escapeControlCharacters, formatLineReport, type LineReport } from "@veoq/manifest";
import { objectStoreFromConfig } from "@veoq/object-store";
import {
  type EnqueueSummary,
  enqueueManifest,
  PIPELINE_DEFAULTS,
  type PriorityLevel,
  SpendLedger,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "@veoq/pipeline";
import {
  describeEstimate,
  estimateToJson,
  formatMoney,
  loadPriceTable,
  parseAmount,
} from "@veoq/pricing";
import { countOf } from "@veoq/report";
import type { Tracing } from "@veoq/tracing";
import { type Command, InvalidArgumentError } from "commander";
import { describeBudgetChange } from "../batch-spend-text.ts";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { EXIT_INTERRUPTED } from "../exit-codes.ts";
import { type ManifestInput, STDIN_ARGUMENT, withManifestInput } from "../manifest-input.ts";
import { createProgressDisplay } from "../progress-display.ts";
import {
  isRedisConnectionError,
  openQueueSession,
  RedisUnreachableError,
} from "../queue-session.ts";
import { redisFaultOf } from "../redis-fault.ts";
import { EXIT_OK, EXIT_PROBLEM, runAction, UsageError } from "../run-action.ts";
import { parsePriorityLevel } from "./priority.ts";

/** Invalid lines kept for the --json summary; the rest are only counted. */
const MAX_REPORTED_INVALID = 1000;

interface EnqueueFlags {
  batch?: string;
  budget?: string;
  json?: boolean;
  skipInvalid?: boolean;
  priority?: PriorityLevel;
  rerender?: boolean;
  webhook?: string;
  webhookEvents?: WebhookEventType[];
  paused?: boolean;
}

/** `--webhook-events a,b`: event types veoq sends (docs/webhooks.md). */
export function parseWebhookEvents(value: string): WebhookEventType[] {
  const events = value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const known = WEBHOOK_EVENT_TYPES as readonly string[];
  if (events.length === 0 || !events.every((e) => known.includes(e))) {
    throw new InvalidArgumentError(
      `must be a comma-separated list of ${WEBHOOK_EVENT_TYPES.join(", ")}`,
    );
  }
  return events as WebhookEventType[];
}

export function registerEnqueueCommand(program: Command): void {
  program
    .command("enqueue")
    .description(
      "validate a manifest and add its lines as jobs (idempotent per batch and custom_id)",
    )
    .argument("<manifest>", "JSONL manifest; - reads stdin (then --batch is required)")
    .option("--batch <id>", "batch id (default: manifest name + hash of its path)")
    .option("--skip-invalid", "enqueue the valid lines even if some lines are invalid")
    .option(
      "--budget <amount>",
      "most money the batch may spend on creates (price table currency); past it the batch pauses",
    )
    .option(
      "--priority <level>",
      "share of the provider's slots: high, normal (default) or low; batches of one level take turns",
      parsePriorityLevel,
    )
    .option(
      "--rerender",
      "pay for new renders of requests this deployment already rendered or is rendering (default: reuse their outputs)",
    )
    .option(
      "--webhook <url>",
      "POST signed events of this batch to this URL (batch.completed, batch.paused, item.failed; see docs/webhooks.md)",
    )
    .option(
      "--webhook-events <list>",
      `events for --webhook, comma-separated: ${WEBHOOK_EVENT_TYPES.join(", ")}`,
      parseWebhookEvents,
    )
    .option(
      "--paused",
      "register the batch paused: nothing is created until `veoq resume BATCH` (tasks of a paused batch are never sent)",
    )
    .option("--json", "print one JSON summary object")
    .action(
      runAction(async (manifest: string, flags: EnqueueFlags) => {
        if (flags.webhookEvents !== undefined && flags.webhook === undefined) {
          throw new UsageError("--webhook-events needs --webhook URL");
        }
        if (manifest === STDIN_ARGUMENT && flags.batch === undefined) {
          throw new UsageError(
            "a manifest read from stdin needs --batch ID, so that enqueueing the same input again adds nothing",
          );
        }
        return withManifestInput(manifest, (input) =>
          withCommandTracing("veoq-cli", "veoq.enqueue", (tracing) =>
            runEnqueue(input, flags, tracing),
          ),
        );
      }),
    );
}

async function runEnqueue(
  input: ManifestInput,
  flags: EnqueueFlags,
  tracing: Tracing | undefined,
): Promise<number> {
  const budgetMicros = flags.budget === undefined ? undefined : parseAmount(flags.budget);
  if (flags.budget !== undefined && budgetMicros === undefined) {
    throw new UsageError(
      `--budget ${JSON.stringify(flags.budget)} must be an amount such as 250 or 12.50`,
    );
  }
  const config = loadConfig();
  const prices = loadPriceTable(config.prices);
  const session = await openQueueSession(
    config,
    tracing === undefined ? {} : { telemetry: tracing.telemetry },
  );
  const objectStore = objectStoreFromConfig(config);
  const progress = createProgressDisplay();
  const invalidLines: LineReport[] = [];
  let invalidCount = 0;
  const label = input.label;
  let added = 0;
  // Ctrl-C (or SIGTERM) stops reading the manifest; the chunks being sent land, and the summary
  // says how far it got. A second signal exits at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    interrupt.abort();
    progress.stop();
    process.stderr.write(
      "veoq: interrupted: finishing the lines being sent (Ctrl-C again to quit at once)\n",
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let started = false;
    const summary = await enqueueManifest({
      manifestPath: input.path,
      ...(input.imageDir === undefined ? {} : { imageDir: input.imageDir }),
      ...(input.fromStdin ? { source: "stdin" } : {}),
      ...(flags.batch === undefined ? {} : { batchId: flags.batch }),
      skipInvalid: flags.skipInvalid === true,
      ...(flags.priority === undefined ? {} : { priority: flags.priority }),
      rerender: flags.rerender === true,
      ...(flags.webhook === undefined
        ? {}
        : { webhook: { url: flags.webhook, events: flags.webhookEvents } }),
      paused: flags.paused === true,
      signal: interrupt.signal,
      queues: session.queues,
      store: session.store,
      submitAttempts: config.submitAttempts,
      spend: { prices, ledger: new SpendLedger(session.redis, config.prefix), budgetMicros },
      ...(objectStore === undefined ? {} : { objectStore }),
      ...(tracing === undefined ? {} : { tracer: tracing.tracer }),
      onInvalidLine: (report) => {
        invalidCount++;
        if (invalidLines.length < MAX_REPORTED_INVALID) invalidLines.push(report);
        if (!flags.json) {
          for (const line of formatLineReport(label, report)) process.stdout.write(`${line}\n`);
        }
      },
      onProgress: (p) => {
        added = p.added;
        if (p.phase === "enqueue" && p.totalLines !== undefined) {
          if (!started) {
            progress.start(p.totalLines, "enqueue");
            started = true;
          }
          progress.update(p.lines, {
            detail: `added ${p.added}, already there ${p.alreadyPresent}`,
          });
        }
      },
    }).catch((error: unknown) => {
      if (!isRedisConnectionError(error)) throw error;
      throw new RedisUnreachableError(
        `lost the connection to Redis at ${describeRedisTarget(config.redis)} (${config.redis.env}) during the enqueue, with at least ${added} new items added: ${redisFaultOf(error)}. What was added stays; run the same enqueue again to add the rest (no job is added twice).`,
      );
    });
    progress.stop();
    if (flags.json) {
      // JSON.stringify escapes C0 controls but not DEL, C1 or bidi controls a line may carry.
      process.stdout.write(
        `${escapeControlCharacters(
          JSON.stringify({
            batch_id: summary.batchId,
            manifest: input.fromStdin ? "-" : path.resolve(input.path),
            enqueued: summary.enqueued,
            interrupted: summary.interrupted,
            lines: summary.lines,
            total_lines: summary.totalLines ?? null,
            valid: summary.valid,
            invalid: summary.invalid,
            added: summary.added,
            already_present: summary.alreadyPresent,
            ...(summary.estimate === undefined
              ? {}
              : { estimate: estimateToJson(summary.estimate) }),
            budget: budgetMicros === undefined ? null : budgetMicros / 1_000_000,
            paused: flags.paused === true,
            budget_pause:
              summary.budget === undefined
                ? null
                : summary.budget.resumed
                  ? "lifted"
                  : summary.budget.pausedByBudget
                    ? "paused"
                    : "none",
            reused: {
              lines: summary.reused.lines,
              estimate:
                summary.reused.estimate === undefined
                  ? null
                  : estimateToJson(summary.reused.estimate),
            },
            unreplicated: summary.unreplicated,
            invalid_lines: invalidLines.map((r) => ({
              line: r.line,
              custom_id: r.customId,
              errors: r.errors,
            })),
          }),
        )}\n`,
      );
    } else if (summary.interrupted) {
      process.stdout.write(`${describeInterruption(summary, input)}\n`);
    } else if (!summary.enqueued) {
      process.stdout.write(
        `nothing enqueued: ${invalidCount} of ${countOf(summary.lines, "line")} ${invalidCount === 1 ? "is" : "are"} invalid (fix ${invalidCount === 1 ? "it" : "them"}, or pass --skip-invalid to enqueue the ${countOf(summary.valid, "valid line")})\n`,
      );
    } else {
      process.stdout.write(
        `batch ${summary.batchId}: ${summary.added} added, ${summary.alreadyPresent} already enqueued` +
          (summary.invalid > 0
            ? `, ${countOf(summary.invalid, "invalid line")} skipped (--skip-invalid: the valid lines are enqueued, so the exit code is 0; \`veoq validate\` lists the skipped ones)`
            : "") +
          `\n`,
      );
      if (summary.estimate !== undefined) {
        process.stdout.write(
          `estimate: ${describeEstimate(summary.estimate).join("\n")}\n` +
            (budgetMicros === undefined
              ? ""
              : `budget: ${formatMoney(budgetMicros, prices.currency)}${summary.budget === undefined ? "" : describeBudgetChange(summary.batchId, summary.budget, (m) => formatMoney(m, prices.currency))}\n`),
        );
      }
      if (flags.paused === true) {
        process.stdout.write(
          `the batch is paused: nothing is created until \`veoq resume ${summary.batchId}\`\n`,
        );
      }
      if (summary.reused.lines > 0) {
        const saved = summary.reused.estimate;
        process.stdout.write(
          `${countOf(summary.reused.lines, "line")} ask for requests this deployment already rendered or is rendering` +
            (saved === undefined ? "" : ` (${formatMoney(saved.costMicros, saved.currency)})`) +
            `: ${summary.reused.lines === 1 ? "it reuses" : "they reuse"} those outputs and pay nothing (the files also appear under this batch, <out>/${summary.batchId}/<custom_id>/); --rerender pays for new renders\n`,
        );
      }
    }
    if (summary.unreplicated.length > 0) {
      // Also with --json: stdout stays one JSON object, the warning goes to stderr.
      process.stderr.write(
        `warning: the replicas of ${summary.unreplicated.join(", ")} had not confirmed the enqueue within ${PIPELINE_DEFAULTS.replicaAckTimeoutMs / 1000} s: a failover now could lose lines written there; run the same enqueue again later to add whatever is missing\n`,
      );
    }
    if (summary.interrupted) {
      if (flags.json) process.stderr.write(`${describeInterruption(summary, input)}\n`);
      return EXIT_INTERRUPTED;
    }
    // With --skip-invalid, enqueuing what it could is success: the skipped lines were asked for.
    return summary.enqueued ? EXIT_OK : EXIT_PROBLEM;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
    objectStore?.close();
    await session.close();
  }
}

/** What an interrupted enqueue got done, and the command that finishes it. */
function describeInterruption(summary: EnqueueSummary, input: ManifestInput): string {
  const again = ["veoq", ...process.argv.slice(2)].map(shellWord).join(" ");
  if (summary.totalLines === undefined) {
    return `interrupted while validating the manifest: nothing was enqueued. Run \`${again}\` to enqueue it.`;
  }
  return (
    `interrupted: ${summary.lines} of ${countOf(summary.totalLines, "line")} enqueued into batch ${summary.batchId} ` +
    `(${summary.added} added, ${summary.alreadyPresent} already there); the batch shows "enqueue incomplete" until every line is in.\n` +
    `To finish, run the same command again (enqueue is idempotent: it adds only the lines not in yet)` +
    (input.fromStdin ? `, with the same manifest on stdin:` : ":") +
    `\n  ${again}`
  );
}

/** One word of a command line, quoted for a POSIX shell when it needs to be. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
