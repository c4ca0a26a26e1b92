import { readFileSync } from "node:fs";
import type { Command as CommandType } from "commander";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";

type Register = (program: CommandType) => void;

// A reader that went away (`veoq results B | head`) ends the command quietly: exit 0, no stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT_OK);
    throw error;
  });
}

/**
 * Every command, in help order, loaded on demand: `veoq enqueue` does not load the dashboard,
 * the simulator or the metrics code, which keeps start-up time and memory down.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  validate: async () => (await import("./commands/validate.ts")).registerValidateCommand,
  estimate: async () => (await import("./commands/estimate.ts")).registerEstimateCommand,
  enqueue: async () => (await import("./commands/enqueue.ts")).registerEnqueueCommand,
  worker: async () => (await import("./commands/worker.ts")).registerWorkerCommand,
  workers: async () => (await import("./commands/workers.ts")).registerWorkersCommand,
  status: async () => (await import("./commands/status.ts")).registerStatusCommand,
  keys: async () => (await import("./commands/keys.ts")).registerKeysCommand,
  results: async () => (await import("./commands/results.ts")).registerResultsCommand,
  retry: async () => (await import("./commands/retry.ts")).registerRetryCommand,
  resume: async () => (await import("./commands/resume.ts")).registerResumeCommand,
  pause: async () => (await import("./commands/pause.ts")).registerPauseCommand,
  cancel: async () => (await import("./commands/cancel.ts")).registerCancelCommand,
  delete: async () => (await import("./commands/delete.ts")).registerDeleteCommand,
  budget: async () => (await import("./commands/budget.ts")).registerBudgetCommand,
  priority: async () => (await import("./commands/priority.ts")).registerPriorityCommand,
  webhooks: async () => (await import("./commands/webhooks.ts")).registerWebhooksCommand,
  demo: async () => (await import("./commands/demo.ts")).registerDemoCommand,
  dashboard: async () => (await import("./commands/dashboard.ts")).registerDashboardCommand,
  api: async () => (await import("./commands/api.ts")).registerApiCommand,
  mock: async () => (await import("./commands/mock.ts")).registerMockCommand,
};

/** package.json sits one folder up from both src/main.ts and the bundled dist/veoq.js. */
const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

// `veoq --version` alone answers before anything else loads (scripts call it to probe the install).
if (process.argv.length === 3 && (process.argv[2] === "-V" || process.argv[2] === "--version")) {
  process.stdout.write(`${version}\n`);
  process.exit(EXIT_OK);
}

const { Command, CommanderError } = await import("commander");
const program = new Command("veoq")
  .description("Durable bulk rendering of AI videos through the jiekou.ai Veo 3.1 API")
  .version(version, "-V, --version", "print the version")
  .showHelpAfterError()
  .exitOverride();

// Bare `veoq` is a usage error: the help goes to stderr and the exit code is 2.
if (process.argv.length <= 2) {
  for (const register of await Promise.all(Object.values(COMMANDS).map((load) => load()))) {
    register(program);
  }
  process.stderr.write(program.helpInformation());
  process.exit(EXIT_USAGE);
}

// The named command alone when there is one; all of them for help and for usage errors (the help
// lists every command).
const named = process.argv[2];
const loaders =
  named !== undefined && Object.hasOwn(COMMANDS, named)
    ? [COMMANDS[named] as () => Promise<Register>]
    : Object.values(COMMANDS);
for (const register of await Promise.all(loaders.map((load) => load()))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    const helpOrVersion =
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help";
    process.exit(helpOrVersion ? 0 : EXIT_USAGE);
  }
  throw error;
}
