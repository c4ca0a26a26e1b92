import { setBatchBudget } from "@veoq/pipeline";
import { formatMoney, loadPriceTable, moneyJson, parseAmount } from "@veoq/pricing";
import type { BudgetJson } from "@veoq/report";
import type { Command } from "commander";
import { describeBudgetChange } from "../batch-spend-text.ts";
import { loadConfig } from "../env.ts";
import { lifecycleOf } from "../lifecycle-of.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction, UsageError } from "../run-action.ts";

export function registerBudgetCommand(program: Command): void {
  program
    .command("budget")
    .description(
      "set a batch's budget (in the price table's currency): above what it spent, a batch paused by its budget goes on at once; at or below it, the batch is paused by its budget",
    )
    .argument("<batch>", "batch id")
    .argument("<amount>", "the new budget, e.g. 250 or 12.50")
    .option("--json", "print one JSON object")
    .action(
      runAction(async (batchId: string, amount: string, flags: { json?: boolean }) => {
        const micros = parseAmount(amount);
        if (micros === undefined) {
          throw new UsageError(
            `budget ${JSON.stringify(amount)} must be an amount such as 250 or 12.50`,
          );
        }
        const config = loadConfig();
        const prices = loadPriceTable(config.prices);
        const session = await openQueueSession(config);
        try {
          const life = lifecycleOf(session);
          const change = await setBatchBudget(life, batchId, micros);
          if (flags.json) {
            const json: BudgetJson = {
              batch_id: batchId,
              budget: moneyJson(micros, prices.currency),
              spent: moneyJson(change.spentMicros, prices.currency),
              reserved: moneyJson(change.reservedMicros, prices.currency),
              resumed: change.resumed,
              paused_by_budget: change.pausedByBudget,
            };
            process.stdout.write(`${JSON.stringify(json)}\n`);
            return EXIT_OK;
          }
          const money = (m: number) => formatMoney(m, prices.currency);
          process.stdout.write(
            `batch ${batchId}: budget ${money(micros)}, spent ${money(change.spentMicros)}` +
              `${describeBudgetChange(batchId, change, money)}\n`,
          );
          return EXIT_OK;
        } finally {
          await session.close();
        }
      }),
    );
}
