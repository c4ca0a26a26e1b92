import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout this `veoq` runs from (the folder with pnpm-workspace.yaml and apps/cli), found
 * upwards from `moduleUrl`: the bundle in apps/cli/dist or the sources in apps/cli/src. Undefined
 * for an installed CLI (its files live under node_modules, in no veoq checkout).
 */
export function checkoutRootOf(moduleUrl: string): string | undefined {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (
      existsSync(path.join(dir, "pnpm-workspace.yaml")) &&
      existsSync(path.join(dir, "apps", "cli", "package.json"))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A word as a POSIX shell reads it back unchanged (quoted only when it must be). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface PasteableOptions {
  /** The checkout (checkoutRootOf), or undefined for an installed `veoq`. */
  checkoutRoot: string | undefined;
  /** Where the person's shell is (the demo's working directory). */
  cwd: string;
  /** REDIS_URL to put in front of the command, when the person's shell would not have it. */
  redisUrl?: string | undefined;
}

/**
 * A `veoq` command line that works when pasted into a shell in `cwd`: `veoq …` for an installed
 * CLI; in the checkout `pnpm veoq …` (no `veoq` is on PATH there), after `cd <checkout> &&` when
 * `cwd` is outside it; `REDIS_URL=… ` in front when given.
 */
export function pasteableVeoq(args: readonly string[], options: PasteableOptions): string {
  const root = options.checkoutRoot;
  const inside =
    root !== undefined && (options.cwd === root || options.cwd.startsWith(`${root}${path.sep}`));
  const cd = root === undefined || inside ? "" : `cd ${shellWord(root)} && `;
  const env = options.redisUrl === undefined ? "" : `REDIS_URL=${shellWord(options.redisUrl)} `;
  const veoq = root === undefined ? "veoq" : "pnpm veoq";
  return `${cd}${env}${veoq} ${args.map(shellWord).join(" ")}`;
}

/**
 * The REDIS_URL a printed line may carry: the URL when it holds no password; undefined when it
 * does (the line then relies on the person's own REDIS_URL, and no secret reaches the screen).
 */
export function printableRedisUrl(url: string): string | undefined {
  try {
    return new URL(url).password === "" ? url : undefined;
  } catch {
    return undefined;
  }
}
