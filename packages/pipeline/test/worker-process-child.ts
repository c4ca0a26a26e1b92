// A worker process as `veoq worker` runs it (startWorkers + shutdownOnSignal), configured from
// its environment, for tests that signal a real process (graceful-stop.test.ts). Logs JSON lines
// to stdout; "workers started" once it takes jobs.
import { parseConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal, startWorkers } from "../src/index.ts";

const config = parseConfig(process.env);
const logger = createLogger({ name: "worker", level: "info" });
const running = await startWorkers({ config, apiKey: config.apiKey ?? "", logger });
await shutdownOnSignal(() => running.close(), logger);
