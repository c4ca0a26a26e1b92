import {
  batchParams,
  itemListJson,
  itemParams,
  itemResultJson,
  listItemsQuery,
  resultsQuery,
} from "@veoq/api-schemas";
import { batchResults, type ItemState, isFinalState, type ResultLine } from "@veoq/pipeline";
import { toResultJson } from "@veoq/report";
import type { z } from "zod";
import type { ApiContext } from "../api-context.ts";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

const DEFAULT_PAGE = 100;

/**
 * GET /v1/batches/{id}/items: one page of a batch's items as result lines, read by rank from the
 * state sets (never the whole batch): those in `state`, or all grouped by state; by custom id
 * within a state. `next_cursor` is opaque (an offset: items changing state meanwhile may be
 * seen twice or skipped, as with any offset page).
 */
export const listItems = defineRoute<z.output<typeof batchParams>, z.output<typeof listItemsQuery>>(
  {
    method: "get",
    path: "/v1/batches/{id}/items",
    operationId: "listItems",
    summary: "List a batch's items, a page at a time",
    scope: "read",
    params: batchParams,
    query: listItemsQuery,
    responses: { 200: { description: "One page of items", schema: itemListJson } },
    async handle(request, context) {
      const id = request.params.id;
      await requireBatch(context, id);
      const offset = offsetOf(request.query.cursor);
      const limit = request.query.limit ?? DEFAULT_PAGE;
      const page = await context.store.listItems(id, {
        state: request.query.state,
        offset,
        limit,
      });
      const items = await resultLines(context, id, page.items);
      const next = offset + page.items.length;
      return json(200, {
        batch_id: id,
        state: request.query.state ?? null,
        total: page.total,
        items: items.map(toResultJson),
        next_cursor: next < page.total && page.items.length > 0 ? cursorOf(next) : null,
      });
    },
  },
);

/** GET /v1/batches/{id}/items/{custom_id}: one item's line of `veoq results`. */
export const getItem = defineRoute<z.output<typeof itemParams>>({
  method: "get",
  path: "/v1/batches/{id}/items/{custom_id}",
  operationId: "getItem",
  summary: "Get one item: its state, files, task ids and error",
  scope: "read",
  params: itemParams,
  responses: { 200: { description: "The item", schema: itemResultJson } },
  async handle(request, context) {
    const { id, custom_id: customId } = request.params;
    const state = await context.store.itemState(id, customId);
    if (state === undefined) {
      throw new ApiProblem(
        "not_found",
        `no item ${JSON.stringify(customId)} in batch ${JSON.stringify(id)}`,
      );
    }
    const [line] = await resultLines(context, id, [{ customId, state }]);
    return json(200, toResultJson(line as ResultLine));
  },
});

/**
 * GET /v1/batches/{id}/results: every item's result line as JSONL, streamed a page at a time
 * (pipeline batchResults, the same lines as `veoq results`).
 */
export const getResults = defineRoute<z.output<typeof batchParams>, z.output<typeof resultsQuery>>({
  method: "get",
  path: "/v1/batches/{id}/results",
  operationId: "getResults",
  summary: "Stream every item's result as JSONL",
  scope: "read",
  params: batchParams,
  query: resultsQuery,
  responses: {
    200: {
      description: "One result line per item (JSONL)",
      schema: itemResultJson,
      contentType: "application/jsonl",
    },
  },
  async handle(request, context) {
    const id = request.params.id;
    await requireBatch(context, id);
    return {
      kind: "stream",
      status: 200,
      contentType: "application/jsonl",
      lines: (async function* () {
        for await (const line of batchResults(context.store, id, {
          order: request.query.order ?? "manifest",
        })) {
          yield `${JSON.stringify(toResultJson(line))}\n`;
        }
      })(),
    };
  },
});

/** Result lines of items whose states are known: the record of a final one, else its state. */
async function resultLines(
  context: ApiContext,
  batchId: string,
  items: readonly { customId: string; state: ItemState }[],
): Promise<ResultLine[]> {
  const finals = items.filter((item) => isFinalState(item.state));
  const records = await context.store.itemResults(
    batchId,
    finals.map((item) => item.customId),
  );
  const byId = new Map(finals.map((item, i) => [item.customId, records[i]]));
  return items.map(({ customId, state }): ResultLine => {
    const record = byId.get(customId);
    if (record !== undefined) return record as ResultLine;
    // A final state without its record yet (being written) reads as queued, as in batchResults.
    const open = isFinalState(state) ? "queued" : state;
    return { batchId, customId, status: open as "queued" | "processing" | "downloading" };
  });
}

const cursorOf = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");

function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match?.[1]) throw new ApiProblem("bad_request", "cursor is not one this API gave");
  return Number(match[1]);
}
