import { runDashboardProcess } from "@veoq/dashboard";
import { loadConfig } from "./env.ts";

/** Standalone dashboard process: the same as `veoq dashboard`, configured by the environment only. */
async function main(): Promise<void> {
  await runDashboardProcess(loadConfig());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `veoq dashboard: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
