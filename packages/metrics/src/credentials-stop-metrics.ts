import { BatchStore, credentialsStopReason, type RedisConnection } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/**
 * `veoq_credentials_stopped`: 1 while submissions are stopped because the provider refused the
 * API key or the balance (401/402; `veoq resume` lifts it), else 0. Read on scrape.
 */
export function registerCredentialsStopMetrics(
  registry: Registry,
  redis: RedisConnection,
  prefix: string,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const store = new BatchStore(redis, prefix);
  new Gauge({
    name: "veoq_credentials_stopped",
    help: "1 while submissions are stopped by a credentials or balance error (401/402), else 0",
    registers: [registry],
    async collect() {
      this.reset();
      const reason = await withTimeout(credentialsStopReason(store), timeoutMs).then(
        (r) => (r === undefined ? 0 : 1),
        () => undefined,
      );
      if (reason !== undefined) this.set(reason);
    },
  });
}
