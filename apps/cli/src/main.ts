import { Command, CommanderError, type Command as CommandType } from "commander";
import { EXIT_USAGE } from "./run-action.ts";

type Register = (program: CommandType) => void;

/**
 * Every command, in help order, loaded on demand: `veoq enqueue` does not load the dashboard,
 * the simulator or the metrics code, which keeps start-up time and memory down.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  validate: async () => (await import("./commands/validate.ts")).registerValidateCommand,
  enqueue: async () => (await import("./commands/enqueue.ts")).registerEnqueueCommand,
  worker: async () => (await import("./commands/worker.ts")).registerWorkerCommand,
  status: async () => (await import("./commands/status.ts")).registerStatusCommand,
  results: async () => (await import("./commands/results.ts")).registerResultsCommand,
  retry: async () => (await import("./commands/retry.ts")).registerRetryCommand,
  resume: async () => (await import("./commands/resume.ts")).registerResumeCommand,
  priority: async () => (await import("./commands/priority.ts")).registerPriorityCommand,
  demo: async () => (await import("./commands/demo.ts")).registerDemoCommand,
  dashboard: async () => (await import("./commands/dashboard.ts")).registerDashboardCommand,
  mock: async () => (await import("./commands/mock.ts")).registerMockCommand,
};

const program = new Command("veoq")
  .description("Durable bulk rendering of AI videos through the jiekou.ai Veo 3.1 API")
  .showHelpAfterError()
  .exitOverride();

// The named command alone when there is one; all of them for help and for usage errors.
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
