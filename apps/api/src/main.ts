import { runApiProcess } from "@veoq/api";
import { loadConfig } from "./env.ts";

/** Standalone API process (containers): the same as `veoq api`, configured by the environment only. */
async function main(): Promise<void> {
  await runApiProcess(loadConfig());
}

main().catch((error: unknown) => {
  process.stderr.write(`veoq api: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
