import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { UsageError } from "./run-action.ts";

/** Where a command reads its manifest from: a file, or stdin (`-`) spooled to a temp file. */
export interface ManifestInput {
  /** A file to read (the temp copy for stdin). */
  path: string;
  /** How reports name it: the path as typed, or "stdin". */
  label: string;
  /** Folder relative image paths resolve against: the manifest's, or the caller's for stdin. */
  imageDir: string | undefined;
  fromStdin: boolean;
}

/** The argument that means "read the manifest from stdin". */
export const STDIN_ARGUMENT = "-";

/**
 * Runs `use` with the manifest named by `argument`. For `-`, stdin is copied to a temp file
 * first (validation and enqueue read the manifest more than once) and removed afterwards.
 */
export async function withManifestInput<T>(
  argument: string,
  use: (input: ManifestInput) => Promise<T>,
): Promise<T> {
  if (argument !== STDIN_ARGUMENT) {
    return use({ path: argument, label: argument, imageDir: undefined, fromStdin: false });
  }
  if (process.stdin.isTTY) {
    throw new UsageError(
      "`-` reads the manifest from stdin, but stdin is a terminal (pipe a file in)",
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-stdin-"));
  try {
    const copy = path.join(dir, "manifest.jsonl");
    await pipeline(process.stdin, createWriteStream(copy));
    return await use({ path: copy, label: "stdin", imageDir: process.cwd(), fromStdin: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
