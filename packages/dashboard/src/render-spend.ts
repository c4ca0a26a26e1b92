import { formatMoney, UNVERIFIED_PRICES_NOTE } from "@veoq/pricing";
import { type PricesInUse, spentSplitText } from "@veoq/report";
import { escapeHtml as e } from "./html-text.ts";
import type { BatchView } from "./read-batches.ts";

/**
 * A batch's money on the dashboard, in the one money format (report's batch-spend.ts): estimate,
 * spent, reserved and budget; what spent is made of; and a loud word while the shipped
 * (unverified) prices are in use (the possible-duplicates sentence is the batch section's). A paused or
 * cancelled batch says so first.
 */
export function spendLine(batch: BatchView, prices: PricesInUse): string {
  const { spend, control } = batch;
  const money = (micros: number) => e(formatMoney(micros, spend.currency ?? prices.currency));
  const state =
    control.state === "paused"
      ? `<b class="stuck" data-control="paused">paused (${e(control.reason)})</b> · `
      : control.state === "cancelled"
        ? `<b class="stuck" data-control="cancelled">cancelled</b> · `
        : "";
  const split = spentSplitText(spend, prices.currency);
  return (
    `${state}estimate <b data-estimate>${money(spend.estimateMicros)}</b> · spent <b data-spent>${money(spend.spentMicros)}</b>` +
    (spend.reservedMicros > 0 ? ` · reserved ${money(spend.reservedMicros)}` : "") +
    (spend.budgetMicros === undefined
      ? ""
      : ` · budget <b data-budget>${money(spend.budgetMicros)}</b>`) +
    (prices.unverified
      ? ` · <span class="stuck" data-prices-unverified title="${e(UNVERIFIED_PRICES_NOTE)}">prices unverified</span>`
      : "") +
    (split === undefined ? "" : `<br><span data-spent-split>${e(split)}</span>`)
  );
}
