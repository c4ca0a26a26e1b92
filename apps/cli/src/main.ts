import { Command, CommanderError } from "commander";
import { registerDashboardCommand } from "./commands/dashboard.ts";
import { registerDemoCommand } from "./commands/demo.ts";
import { registerEnqueueCommand } from "./commands/enqueue.ts";
import { registerMockCommand } from "./commands/mock.ts";
import { registerResultsCommand } from "./commands/results.ts";
import { registerResumeCommand } from "./commands/resume.ts";
import { registerRetryCommand } from "./commands/retry.ts";
import { registerStatusCommand } from "./commands/status.ts";
import { registerValidateCommand } from "./commands/validate.ts";
import { registerWorkerCommand } from "./commands/worker.ts";
import { EXIT_USAGE } from "./run-action.ts";

const program = new Command("veoq")
  .description("Durable bulk rendering of AI videos through the jiekou.ai Veo 3.1 API")
  .showHelpAfterError()
  .exitOverride();

registerValidateCommand(program);
registerEnqueueCommand(program);
registerWorkerCommand(program);
registerStatusCommand(program);
registerResultsCommand(program);
registerRetryCommand(program);
registerResumeCommand(program);
registerDemoCommand(program);
registerDashboardCommand(program);
registerMockCommand(program);

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
