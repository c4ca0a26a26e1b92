import path from "node:path";
import type { BatchStore } from "@veoq/pipeline";
import type { DashboardResponse, RouteHandler } from "./dashboard-route.ts";

const notFound = (text: string): DashboardResponse => ({
  status: 404,
  text,
  contentType: "text/plain",
});

/**
 * `GET /batches/:id/items/:customId/files/:index`: one saved file of an item, from the output
 * dir, behind the dashboard's auth like every page. Only files the item's record names are
 * served (never a path from the request), and only inside the output dir. Served inline with
 * range support (a `<video>` can seek); links carry `download` to save instead.
 */
export function serveItemFile(store: BatchStore, outputDir: string | undefined): RouteHandler {
  return async (request) => {
    const batchId = String(request.params.id);
    const customId = String(request.params.customId);
    const index = Number(request.params.index);
    const result = Number.isSafeInteger(index)
      ? await store.itemResult(batchId, customId)
      : undefined;
    const file = result?.files.find((f) => f.index === index);
    if (!file || outputDir === undefined) {
      return notFound(outputDir === undefined ? "files are not served here\n" : "no such file\n");
    }
    const root = path.resolve(outputDir);
    const relative = path.relative(root, path.resolve(root, file.path));
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      return notFound("no such file\n");
    }
    return { status: 200, file: { root, relative } };
  };
}
