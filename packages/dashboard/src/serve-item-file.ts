import path from "node:path";
import type { BatchStore } from "@veoq/pipeline";
import type { RequestHandler } from "express";

/**
 * `GET /batches/:id/items/:customId/files/:index`: one saved file of an item, from the output
 * dir, behind the dashboard's auth like every page. Only files the item's record names are
 * served (never a path from the request), and only inside the output dir. Served inline with
 * range support (a `<video>` can seek); links carry `download` to save instead.
 */
export function serveItemFile(store: BatchStore, outputDir: string | undefined): RequestHandler {
  return async (request, response, next) => {
    try {
      const batchId = String(request.params.id);
      const customId = String(request.params.customId);
      const index = Number(request.params.index);
      const result = Number.isSafeInteger(index)
        ? await store.itemResult(batchId, customId)
        : undefined;
      const file = result?.files.find((f) => f.index === index);
      if (!file || outputDir === undefined) {
        response
          .status(404)
          .type("text/plain")
          .send(outputDir === undefined ? "files are not served here\n" : "no such file\n");
        return;
      }
      const root = path.resolve(outputDir);
      const relative = path.relative(root, path.resolve(root, file.path));
      if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
        response.status(404).type("text/plain").send("no such file\n");
        return;
      }
      response.sendFile(relative, { root, dotfiles: "allow" }, (error?: Error) => {
        if (!error || response.headersSent) return;
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
          response.status(404).type("text/plain").send("the file is gone from the output dir\n");
        } else {
          next(error);
        }
      });
    } catch (error) {
      next(error);
    }
  };
}
