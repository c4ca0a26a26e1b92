import { credentialsStopReason } from "@veoq/pipeline";
import { defineRedisGauges, redisGaugeSet } from "./redis-gauges.ts";

/**
 * `veoq_credentials_stopped`: 1 while submissions are stopped because the provider refused the
 * API key or the balance (401/402; `veoq resume` lifts it), else 0. Read on scrape.
 */
export const registerCredentialsStopMetrics = defineRedisGauges((store) => {
  return [
    redisGaugeSet(
      async () => (await credentialsStopReason(store)) !== undefined,
      [
        {
          name: "veoq_credentials_stopped",
          help: "1 while submissions are stopped by a credentials or balance error (401/402), else 0",
          set: (gauge, stopped) => gauge.set(stopped ? 1 : 0),
        },
      ],
    ),
  ];
});
