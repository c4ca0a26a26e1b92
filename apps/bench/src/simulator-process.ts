import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type SimulatorOverrides, startSimulator } from "@veoq/simulator";

/** A simulator running in a child process, so its CPU is not taken from the pipeline measured. */
export interface SimulatorProcess {
  url: string;
  close(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/** Starts `startSimulator(options)` in a child process (options must be plain JSON). */
export async function startSimulatorProcess(
  options: Omit<SimulatorOverrides, "clock">,
): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", SELF, JSON.stringify(options)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once("line", (line) => resolve(line.trim()));
    child.once("exit", (code) => reject(new Error(`simulator process exited with ${code}`)));
  });
  return {
    url,
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

if (process.argv[1] === SELF) {
  const simulator = await startSimulator(JSON.parse(process.argv[2] ?? "{}") as SimulatorOverrides);
  process.stdout.write(`${simulator.url}\n`);
  process.once("SIGTERM", () => {
    void simulator.close().then(() => process.exit(0));
  });
}
