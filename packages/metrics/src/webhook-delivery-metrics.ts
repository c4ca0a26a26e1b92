import type { DeliveryState } from "@veoq/webhooks";
import { Counter, type Registry } from "prom-client";

/**
 * `veoq_webhook_deliveries_total{outcome}`: webhook delivery tries of this worker process by the
 * state each ended in (`delivered`, `retrying`, `failed` after the last try, `disabled` by a 410,
 * `refused` by the SSRF guard). The alert VeoqWebhookDeliveriesFailing reads it
 * (infra/prometheus/veoq-rules.yml). Returns what startWebhookWorker's `onTry` calls.
 */
export function registerWebhookDeliveryMetrics(registry: Registry): (state: DeliveryState) => void {
  const tries = new Counter({
    name: "veoq_webhook_deliveries_total",
    help: "Webhook delivery tries, by the state each ended in",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return (state) => tries.inc({ outcome: state });
}
