import { Command, CommanderError } from "commander";
import { registerMockCommand } from "./commands/mock.ts";
import { registerValidateCommand } from "./commands/validate.ts";

/** Exit codes shared by every command: 0 ok, 1 the work found a problem, 2 the call itself was wrong. */
export const EXIT_USAGE = 2;

const program = new Command("veoq")
  .description("Durable bulk rendering of AI videos through the jiekou.ai Veo 3.1 API")
  .showHelpAfterError()
  .exitOverride();

registerValidateCommand(program);
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
