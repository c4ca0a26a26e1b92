import type { BatchControlState, BatchSpend, BudgetChange } from "@veoq/pipeline";
import { formatMoney, fromMicros } from "@veoq/pricing";

/** The line `veoq status` prints under a batch for its lifecycle and money. */
export function formatBatchSpend(
  batchId: string,
  control: BatchControlState,
  spend: BatchSpend,
  currency: string,
): string[] {
  const money = (micros: number) => formatMoney(micros, spend.currency ?? currency);
  const lines: string[] = [];
  if (control.state === "paused" && control.reason === "budget") {
    lines.push(
      `  !! PAUSED by its budget: \`veoq budget ${batchId} <amount>\` raises it, \`veoq resume ${batchId}\` tries again`,
    );
  } else if (control.state === "paused" && control.reason === "daily_budget") {
    lines.push("  !! PAUSED by VEOQ_DAILY_BUDGET: goes on when the UTC day ends");
  } else if (control.state === "paused") {
    lines.push(`  !! PAUSED: \`veoq resume ${batchId}\` to go on`);
  } else if (control.state === "cancelled") {
    lines.push(
      `  CANCELLED${control.dropInFlight ? " (tasks in flight dropped)" : ""}: no new creates`,
    );
  }
  lines.push(
    `  estimate ${money(spend.estimateMicros)}  spent ${money(spend.spentMicros)}` +
      (spend.reservedMicros > 0 ? `  reserved ${money(spend.reservedMicros)}` : "") +
      (spend.budgetMicros === undefined ? "" : `  budget ${money(spend.budgetMicros)}`),
  );
  return lines;
}

/** The batch's lifecycle and money as `veoq status --json` prints them (amounts in the currency). */
export function batchSpendToJson(
  control: BatchControlState | { state: "finished" },
  spend: BatchSpend,
  currency: string,
) {
  return {
    control,
    spend: {
      currency: spend.currency ?? currency,
      estimate: fromMicros(spend.estimateMicros),
      estimate_tasks: spend.estimateTasks,
      estimate_video_seconds: spend.estimateSeconds,
      spent: fromMicros(spend.spentMicros),
      reserved: fromMicros(spend.reservedMicros),
      budget: spend.budgetMicros === undefined ? null : fromMicros(spend.budgetMicros),
    },
  };
}

/**
 * What a new budget did, as `veoq budget` and `enqueue --budget` say it after the amount: the
 * budget pause lifted, the batch paused because what it spent already reaches the budget, or
 * nothing (an empty string).
 */
export function describeBudgetChange(
  batchId: string,
  change: BudgetChange,
  money: (micros: number) => string,
): string {
  if (change.resumed) {
    return "; the budget pause is lifted (each item is checked against the new budget)";
  }
  if (change.pausedByBudget) {
    const used = change.spentMicros + change.reservedMicros;
    return `; spent${change.reservedMicros > 0 ? " and reserved" : ""} ${money(used)} already reach${change.reservedMicros > 0 ? "" : "es"} it: the batch is paused by its budget (raise it with \`veoq budget ${batchId} <amount>\` to go on)`;
  }
  return "";
}
