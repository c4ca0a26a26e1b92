import {
  CancelledRetryChangedError,
  planCancelledRetry,
  planRetry,
  priceRetry,
  priceSubmissions,
  RetryPlanChangedError,
  retryCancelledItems,
  retryFailedItems,
} from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import {
  countOf,
  type RetryJson,
  retryPriceJson,
  toRetryJson,
  toRetryNotRunJson,
  toRetryPlanJson,
} from "@veoq/report";
import type { Command } from "commander";
import { withCommandTracing } from "../command-tracing.ts";
import { confirmOnTerminal } from "../confirm-prompt.ts";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { formatCancelledRetryPlan, formatRetryPlan, queuedBy } from "../retry-plan-text.ts";
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, runAction, UsageError } from "../run-action.ts";

/** Items that could not be re-queued listed one per line; the rest are counted. */
const MAX_LISTED_SKIPPED = 50;

interface RetryFlags {
  json?: boolean;
  yes?: boolean;
  includePermanent?: boolean;
  cancelled?: boolean;
}

export function registerRetryCommand(program: Command): void {
  program
    .command("retry")
    .description(
      "re-queue the failed items of a batch: says what it will do (paid re-submissions, free re-polls and re-downloads) and asks first",
    )
    .argument("<batch>", "batch id")
    .option(
      "-y, --yes",
      "agree without asking (needed to pay off a terminal: re-submissions, or cancelled items that create a task); without it, off a terminal only the free part runs",
    )
    .option(
      "--include-permanent",
      "re-submit failures that will fail again too (invalid request, content policy)",
    )
    .option(
      "--cancelled",
      "re-queue the cancelled items instead (lifts `veoq cancel`): items never created pay for their create when they run, so it shows that cost and asks like a paid retry; dropped tasks are followed again for free",
    )
    .option("--json", "print the plan and the outcome as one JSON object")
    .action(
      runAction((batchId: string, flags: RetryFlags) =>
        // The re-queued items' new traces are linked to this span (veoq.item.retry).
        withCommandTracing("veoq-cli", "veoq.retry", async (tracing) => {
          if (flags.cancelled && flags.includePermanent) {
            // Cancelled items never failed: there is nothing "permanent" among them to include.
            throw new UsageError(
              "--include-permanent is about failed items and --cancelled re-queues cancelled ones: run them one at a time",
            );
          }
          const config = loadConfig();
          const session = await openQueueSession(
            config,
            tracing === undefined ? {} : { telemetry: tracing.telemetry },
          );
          const tracer = tracing === undefined ? {} : { tracer: tracing.tracer };
          const json = flags.json === true;
          // With --json, stdout carries the one JSON object, and the human summary is not printed:
          // only a question on a terminal shows it (on stderr), so one knows what one agrees to.
          const asks = json && flags.yes !== true && process.stdin.isTTY === true;
          const say = (line: string) => {
            if (!json) process.stdout.write(`${line}\n`);
            else if (asks) process.stderr.write(`${line}\n`);
          };
          const printJson = (value: RetryJson) =>
            process.stdout.write(`${JSON.stringify(value)}\n`);
          try {
            if ((await session.store.getBatch(batchId)) === undefined) {
              throw new UsageError(`no batch ${JSON.stringify(batchId)} (see \`veoq status\`)`);
            }
            if (flags.cancelled) {
              const life = lifecycleOf(session);
              const plan = await planCancelledRetry(life, batchId);
              const cost = await priceSubmissions(
                batchId,
                plan.retries.filter((r) => r.stage === "submit").map((r) => r.customId),
                session.queues,
                loadPriceTable(config.prices),
                session.store.spend,
              );
              for (const line of formatCancelledRetryPlan(plan, cost)) say(line);
              const printCancelledJson = (outcome: string, retried: number, skipped: unknown[]) =>
                process.stdout.write(
                  `${JSON.stringify({
                    batch_id: batchId,
                    outcome,
                    retried,
                    skipped,
                    plan: {
                      cancelled: plan.cancelled,
                      submit: plan.submit,
                      refollow: plan.refollow,
                      submits_by_model: plan.submitsByModel,
                      ...retryPriceJson(cost),
                    },
                  })}\n`,
                );
              if (plan.cancelled === 0) {
                say("nothing to retry");
                if (json) printCancelledJson("nothing_to_retry", 0, []);
                return EXIT_OK;
              }
              // Items never created pay for their create when they run: agreed like a paid retry.
              if (plan.submit > 0 && flags.yes !== true) {
                const question = `re-queue ${countOf(plan.cancelled, "cancelled item")} (${plan.submit} paid when they run)?`;
                const agreed = process.stdin.isTTY
                  ? await confirmOnTerminal(question, json ? process.stderr : process.stdout)
                  : undefined;
                if (agreed !== true) {
                  if (json) printCancelledJson("not_confirmed", 0, []);
                  if (agreed === undefined) {
                    process.stderr.write(
                      `veoq: retry --cancelled would re-queue ${countOf(plan.submit, "item")} whose task is created (paid) when it runs, and there is no terminal to confirm on: run it again with --yes to agree; nothing was re-queued\n`,
                    );
                    return EXIT_USAGE;
                  }
                  say("nothing re-queued");
                  return EXIT_OK;
                }
              }
              const summary = await retryCancelledItems(life, batchId, {
                maxSubmits: plan.submit,
                ...tracer,
              }).catch((error: unknown) => {
                if (!(error instanceof CancelledRetryChangedError)) throw error;
                process.stderr.write(
                  `veoq: ${error.message}: the batch's cancelled items changed since its summary; nothing was re-queued, run \`veoq retry ${batchId} --cancelled\` again\n`,
                );
                return undefined;
              });
              if (summary === undefined) return EXIT_PROBLEM;
              if (json) {
                const skipped = summary.skipped.map((s) => ({
                  custom_id: s.customId,
                  reason: s.reason,
                }));
                printCancelledJson("retried", summary.retried, skipped);
              }
              say(`batch ${batchId}: ${countOf(summary.retried, "cancelled item")} re-queued`);
              for (const { customId, reason } of summary.skipped.slice(0, MAX_LISTED_SKIPPED)) {
                say(`could not retry ${customId}: ${reason}`);
              }
              return summary.skipped.length > 0 ? EXIT_PROBLEM : EXIT_OK;
            }
            const includePermanent = flags.includePermanent === true;
            const plan = await planRetry(session.store, batchId, { includePermanent });
            const cost = await priceRetry(
              plan,
              session.queues,
              loadPriceTable(config.prices),
              session.store.spend,
            );
            const planJson = toRetryPlanJson(plan, cost);
            for (const line of formatRetryPlan(planJson)) say(line);

            const queued = queuedBy(planJson);
            if (queued === 0) {
              say("nothing to retry");
              if (json) printJson(toRetryNotRunJson(plan, "nothing_to_retry", cost));
              return EXIT_OK;
            }
            /** Off a terminal without --yes: the free part only, and what was left and how to agree. */
            const retryFreeOnly = async (): Promise<number> => {
              const free = plan.counts.repoll + plan.counts.redownload;
              const summary =
                free === 0
                  ? undefined
                  : await retryFailedItems(session.store, session.queues, batchId, {
                      submitAttempts: config.submitAttempts,
                      includePermanent,
                      freeOnly: true,
                      ...tracer,
                    });
              if (json) {
                printJson(
                  summary === undefined
                    ? toRetryNotRunJson(plan, "not_confirmed", cost)
                    : toRetryJson(summary, cost, "free_only"),
                );
              }
              if (summary !== undefined) {
                say(
                  `batch ${batchId}: ${countOf(summary.retried, "failed item")} re-queued (free)`,
                );
                for (const { customId, reason } of summary.skipped.slice(0, MAX_LISTED_SKIPPED)) {
                  say(`could not retry ${customId}: ${reason}`);
                }
              }
              process.stderr.write(
                `veoq: retry would re-submit ${countOf(plan.counts.resubmit, "item")} (paid) and there is no terminal to confirm on: ${summary === undefined ? "nothing was re-queued" : "only the free re-polls and re-downloads were re-queued"}; run it again with --yes to agree to pay\n`,
              );
              return EXIT_USAGE;
            };
            const question = `re-queue ${countOf(queued, "item")}${plan.counts.resubmit > 0 ? ` (${plan.counts.resubmit} paid)` : ""}?`;
            if (flags.yes !== true) {
              if (process.stdin.isTTY) {
                if (!(await confirmOnTerminal(question, json ? process.stderr : process.stdout))) {
                  say("nothing re-queued");
                  if (json) printJson(toRetryNotRunJson(plan, "not_confirmed", cost));
                  return EXIT_OK;
                }
              } else if (plan.counts.resubmit > 0) {
                // Free re-polls and re-downloads go ahead unasked; paying needs a yes.
                return await retryFreeOnly();
              }
            }

            const summary = await retryFailedItems(session.store, session.queues, batchId, {
              submitAttempts: config.submitAttempts,
              includePermanent,
              // What was shown and agreed to: a batch whose failures changed meanwhile pays no more.
              maxResubmits: plan.counts.resubmit,
              ...tracer,
            }).catch((error: unknown) => {
              if (!(error instanceof RetryPlanChangedError)) throw error;
              process.stderr.write(
                `veoq: ${error.message}: the batch's failures changed since its summary; nothing was re-queued, run \`veoq retry ${batchId}\` again\n`,
              );
              return undefined;
            });
            if (summary === undefined) return EXIT_PROBLEM;
            if (json) printJson(toRetryJson(summary, cost));
            say(`batch ${batchId}: ${countOf(summary.retried, "failed item")} re-queued`);
            for (const { customId, reason } of summary.skipped.slice(0, MAX_LISTED_SKIPPED)) {
              say(`could not retry ${customId}: ${reason}`);
            }
            if (summary.skipped.length > MAX_LISTED_SKIPPED) {
              say(
                `... and ${summary.skipped.length - MAX_LISTED_SKIPPED} more that could not be retried`,
              );
            }
            return summary.skipped.length > 0 ? EXIT_PROBLEM : EXIT_OK;
          } finally {
            await session.close();
          }
        }),
      ),
    );
}
