import { type BatchStore, batchResults } from "@veoq/pipeline";
import { toResultJson } from "@veoq/report";
import type { DashboardResponse, RouteHandler } from "./dashboard-route.ts";

/** Failed items read per page of the failures download. */
const FAILED_PAGE = 500;

/** A download's file name from a batch id (letters, digits, `.-_` kept). */
function fileNameOf(batchId: string, what: string): string {
  return `${batchId.replace(/[^A-Za-z0-9._-]+/g, "_")}-${what}.jsonl`;
}

const JSONL = "application/x-ndjson";

async function* jsonLines(lines: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const line of lines) yield `${JSON.stringify(line)}\n`;
}

/** The batch's failed items' records, a page of the failed set at a time (never the whole batch). */
async function* failedResults(store: BatchStore, batchId: string) {
  for (let offset = 0; ; offset += FAILED_PAGE) {
    const page = await store.listItems(batchId, { state: "failed", offset, limit: FAILED_PAGE });
    const ids = page.items.map((item) => item.customId);
    const records = await store.itemResults(batchId, ids);
    for (const record of records) if (record) yield toResultJson(record);
    if (ids.length < FAILED_PAGE) return;
  }
}

const noBatch = (id: string): DashboardResponse => ({
  status: 404,
  text: `no batch ${id}\n`,
  contentType: "text/plain",
});

/**
 * `GET /batches/:id/results.jsonl`: every item's line as `veoq results` prints it (manifest
 * order, final records or the state of an item in progress), streamed.
 */
export function downloadResults(store: BatchStore): RouteHandler {
  return async (request) => {
    const id = String(request.params.id);
    if ((await store.getBatch(id)) === undefined) return noBatch(id);
    return {
      status: 200,
      contentType: JSONL,
      filename: fileNameOf(id, "results"),
      lines: jsonLines(mapLines(batchResults(store, id))),
    };
  };
}

async function* mapLines(lines: ReturnType<typeof batchResults>) {
  for await (const line of lines) yield toResultJson(line);
}

/** `GET /batches/:id/failures.jsonl`: the failed items' records (error kind, message, stage), streamed. */
export function downloadFailures(store: BatchStore): RouteHandler {
  return async (request) => {
    const id = String(request.params.id);
    if ((await store.getBatch(id)) === undefined) return noBatch(id);
    return {
      status: 200,
      contentType: JSONL,
      filename: fileNameOf(id, "failures"),
      lines: jsonLines(failedResults(store, id)),
    };
  };
}
