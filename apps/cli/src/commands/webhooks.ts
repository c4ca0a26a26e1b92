import { UnknownBatchError } from "@veoq/pipeline";
import { type DeliveryJson, readDeliveryLog } from "@veoq/webhooks";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction } from "../run-action.ts";

interface WebhooksFlags {
  json?: boolean;
}

/** Where a delivery went, without the query (which may hold the receiver's token). */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** One delivery in a line: what, to where, how it stands, its last try and the next. */
export function formatDelivery(delivery: DeliveryJson): string {
  const last = delivery.attempts.at(-1);
  const what =
    delivery.custom_id === null ? delivery.type : `${delivery.type} ${delivery.custom_id}`;
  const tries = `${delivery.attempts.length} ${delivery.attempts.length === 1 ? "try" : "tries"}`;
  const lastTry =
    last === undefined
      ? ""
      : `, last ${last.status === null ? (last.error ?? "no answer") : `HTTP ${last.status}`} at ${last.at}`;
  const next = last?.next_attempt_at ? `, next at ${last.next_attempt_at}` : "";
  const replays = delivery.replays > 0 ? `, replayed ${delivery.replays}x` : "";
  return `${delivery.state.padEnd(9)} ${what} -> ${endpointOf(delivery.url)} (${tries}${lastTry}${next}${replays})  id ${delivery.delivery_id}`;
}

export function registerWebhooksCommand(program: Command): void {
  program
    .command("webhooks")
    .description(
      "a batch's webhook deliveries with each try's status (replay one with the API: POST /v1/webhooks/{id}/replay)",
    )
    .argument("<batch>", "batch id")
    .option("--json", "print one JSON object: {batch_id, deliveries: [...]}")
    .action(
      runAction(async (batchId: string, flags: WebhooksFlags) => {
        const config = loadConfig();
        const session = await openQueueSession(config);
        try {
          if ((await session.store.getBatch(batchId)) === undefined) {
            throw new UnknownBatchError(`no batch ${JSON.stringify(batchId)}`);
          }
          const deliveries = await readDeliveryLog(
            { redis: session.redis, prefix: config.prefix },
            batchId,
          );
          if (flags.json) {
            process.stdout.write(`${JSON.stringify({ batch_id: batchId, deliveries })}\n`);
          } else if (deliveries.length === 0) {
            process.stdout.write(
              `batch ${batchId}: no webhook deliveries (enqueue --webhook URL, or VEOQ_WEBHOOK_URLS)\n`,
            );
          } else {
            process.stdout.write(`batch ${batchId}: ${deliveries.length} webhook deliveries\n`);
            for (const delivery of deliveries) {
              process.stdout.write(`  ${formatDelivery(delivery)}\n`);
            }
          }
          return EXIT_OK;
        } finally {
          await session.close();
        }
      }),
    );
}
