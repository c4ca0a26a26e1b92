import { readKeyFigures } from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { formatKeys, keyToJson } from "../key-figures-text.ts";
import { openQueueSession } from "../queue-session.ts";
import { EXIT_OK, runAction } from "../run-action.ts";

/** `veoq keys`: every API key of the pool by name, what it is doing and what it spent. */
export function registerKeysCommand(program: Command): void {
  program
    .command("keys")
    .description(
      "the API keys in use (by name or short hash, never the key): state, tasks in flight and cap, creates, 429s, spend",
    )
    .option("--json", "print JSON")
    .action(
      runAction(async (flags: { json?: boolean }) => {
        const config = loadConfig();
        const { currency } = loadPriceTable(config.prices);
        const session = await openQueueSession(config);
        try {
          const now = Date.now();
          const keys = await readKeyFigures(session.redis, config.prefix, now);
          process.stdout.write(
            flags.json
              ? `${JSON.stringify({ generated_at: new Date(now).toISOString(), keys: keys.map((k) => keyToJson(k, currency)) })}\n`
              : `${formatKeys(keys, currency).join("\n")}\n`,
          );
          return EXIT_OK;
        } finally {
          await session.close();
        }
      }),
    );
}
