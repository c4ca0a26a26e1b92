import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** Where infra/test/ensure-promtool.sh puts promtool, and where Debian's package does. */
export const PROMTOOL_PATHS = ["/usr/local/bin/promtool", "/usr/bin/promtool"] as const;

export function promtoolPath(): string | undefined {
  return PROMTOOL_PATHS.find((path) => existsSync(path));
}

export interface PromtoolVerdict {
  ok: boolean;
  /** What promtool printed: one line per problem ("<metric> <rule>"). */
  problems: string;
}

/**
 * Pipes Prometheus text through `promtool check metrics` (its lint: naming, units, counter
 * suffixes, help text). Throws when promtool is missing, naming the package that ships it.
 */
export async function checkWithPromtool(metricsText: string): Promise<PromtoolVerdict> {
  const promtool = promtoolPath();
  if (promtool === undefined) {
    throw new Error(
      "promtool not found: install Debian's prometheus package or run infra/test/ensure-promtool.sh",
    );
  }
  const child = spawn(promtool, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  child.stdin.end(metricsText);
  const code = await exit;
  return { ok: code === 0, problems: output.trim() };
}
