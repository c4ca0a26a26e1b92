import { copyFile, link, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SavedFile } from "../jobs/job-data.ts";
import { outputFilePath } from "../policy/output-paths.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * A reused item's files under its own batch (issue 26): `<out>/<batch>/<custom_id>/<n>.<ext>`,
 * like a rendered item's, so a tool that reads `<out>/<batch>/` finds every item of the batch.
 * On disk each is a hard link to the owner's file (no copy, no extra space; a copy only where
 * the file system refuses links); in a bucket a server-side copy (CopyObject). Placing them again
 * (a retried job) replaces what is there. Undefined when an owner file is gone (its batch
 * deleted with --files): the item then renders the request itself.
 */
export async function placeReusedFiles(
  context: PipelineContext,
  batchId: string,
  customId: string,
  ownerFiles: readonly SavedFile[],
): Promise<SavedFile[] | undefined> {
  const placed: SavedFile[] = [];
  for (const file of ownerFiles) {
    const target = outputFilePath(
      context.settings.outputDir,
      batchId,
      customId,
      file.index,
      path.extname(file.path).slice(1),
    );
    const key = target.relative.split(path.sep).join("/");
    const bucket = context.objectStore;
    if (file.uri?.startsWith("s3://") === true) {
      // The owner's object is in this deployment's bucket (outputs never move between stores).
      if (bucket === undefined) return undefined;
      if (key !== file.path && !(await bucket.copy(file.path, key))) return undefined;
      placed.push({ ...file, path: key, uri: bucket.uriOf(key) });
      continue;
    }
    const source =
      file.uri === undefined
        ? path.resolve(context.settings.outputDir, file.path)
        : fileURLToPath(file.uri);
    if (path.resolve(source) !== target.absolute) {
      await mkdir(path.dirname(target.absolute), { recursive: true });
      if (!(await linkOrCopy(source, target.absolute))) return undefined;
    }
    placed.push({ ...file, path: target.relative, uri: pathToFileURL(target.absolute).href });
  }
  return placed;
}

/** Hard-links `source` at `target` (a copy across devices); false when `source` is gone. */
async function linkOrCopy(source: string, target: string): Promise<boolean> {
  await rm(target, { force: true });
  try {
    await link(source, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw error;
  }
  try {
    await copyFile(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
