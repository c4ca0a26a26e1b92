import type { BatchControlState, BatchSpend, BudgetChange } from "@veoq/pipeline";
import { batchSpendLines, type PricesInUse, toBatchSpendJson } from "@veoq/report";

/** The lines `veoq status` prints under a batch for its lifecycle and money (report's batchSpendLines). */
export function formatBatchSpend(
  batchId: string,
  control: BatchControlState,
  spend: BatchSpend,
  prices: PricesInUse,
): string[] {
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
  lines.push(...batchSpendLines(spend, prices).map((line) => `  ${line}`));
  return lines;
}

/** The batch's lifecycle and money as `veoq status --json` prints them (report's batchSpendJson). */
export function batchSpendToJson(
  control: BatchControlState | { state: "finished" },
  spend: BatchSpend,
  prices: PricesInUse,
) {
  return { control, spend: toBatchSpendJson(spend, prices) };
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
