import type { ApiRoute } from "./api-route.ts";
import { cancelBatchRoute, pauseBatchRoute, resumeBatchRoute } from "./handlers/batch-lifecycle.ts";
import { setBudget, setPriority } from "./handlers/batch-settings.ts";
import { createBatch } from "./handlers/create-batch.ts";
import { deleteBatchRoute } from "./handlers/delete-batch.ts";
import { estimate } from "./handlers/estimate.ts";
import { getFile } from "./handlers/get-file.ts";
import { getBatch, listBatches } from "./handlers/read-batches.ts";
import { getItem, getResults, listItems } from "./handlers/read-items.ts";
import { retryBatch } from "./handlers/retry-batch.ts";
import { listWebhookDeliveries, replayWebhookDelivery } from "./handlers/webhook-deliveries.ts";

/**
 * Every endpoint of the API, in the order the OpenAPI document lists them. Adding an endpoint is
 * one line here (its module declares method, path, scope, schemas and handler); the express
 * adapter and the document both read this table.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  createBatch,
  listBatches,
  getBatch,
  listItems,
  getItem,
  getResults,
  pauseBatchRoute,
  resumeBatchRoute,
  cancelBatchRoute,
  deleteBatchRoute,
  retryBatch,
  setBudget,
  setPriority,
  getFile,
  estimate,
  listWebhookDeliveries,
  replayWebhookDelivery,
];
