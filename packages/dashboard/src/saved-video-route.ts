import path from "node:path";
import type { BatchStore } from "@veoq/pipeline";
import type { Request, Response } from "express";

/** Where a completed item's saved video is served: `/videos/<batch>/<custom_id>/<n>`. */
export function savedVideoUrl(batchId: string, customId: string, index: number): string {
  return `/videos/${encodeURIComponent(batchId)}/${encodeURIComponent(customId)}/${index}`;
}

/**
 * `GET /videos/:batch/:customId/:index`: the file the item's result records, read from the output
 * dir (VEOQ_OUTPUT_DIR; the dashboard must run where the files are). Only files a result names are
 * served, never a path taken from the URL; Range requests (seeking) are answered by express's
 * sendFile. Sits behind the dashboard's auth like every other page.
 */
export function createSavedVideoHandler(
  store: BatchStore,
  outputDir: string | undefined,
  read: <T>(work: Promise<T>) => Promise<T>,
) {
  return async (request: Request, response: Response): Promise<void> => {
    const { batch, customId, index } = request.params as Record<string, string>;
    const notFound = (why: string) => {
      response.status(404).type("text/plain").send(`${why}\n`);
    };
    if (outputDir === undefined)
      return notFound("this dashboard has no output dir (VEOQ_OUTPUT_DIR)");
    if (!/^\d{1,2}$/.test(index ?? "")) return notFound("no such video");
    const result = await read(store.itemResult(batch ?? "", customId ?? ""));
    const file = result?.files.find((saved) => saved.index === Number(index));
    if (result === undefined || file === undefined) return notFound("no such video");
    const root = path.resolve(outputDir);
    const absolute = path.resolve(root, file.path);
    if (
      path.relative(root, absolute).startsWith("..") ||
      path.isAbsolute(path.relative(root, absolute))
    ) {
      return notFound("no such video");
    }
    response.sendFile(absolute, { headers: { "Content-Type": "video/mp4" } }, (error) => {
      if (error && !response.headersSent)
        notFound(`${file.path} is not in ${outputDir} on this machine`);
    });
  };
}
