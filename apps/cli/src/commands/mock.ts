import type { Command } from "commander";

export function registerMockCommand(program: Command): void {
  program.command("mock").description("not implemented yet");
}
