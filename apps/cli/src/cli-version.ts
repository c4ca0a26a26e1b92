import { readFileSync } from "node:fs";

/**
 * veoq's version, from apps/cli/package.json: one folder up from both src/cli-version.ts and the
 * bundled dist/veoq.js (as main.ts reads it for --version).
 */
export function cliVersion(): string {
  try {
    const { version } = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as { version?: unknown };
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
