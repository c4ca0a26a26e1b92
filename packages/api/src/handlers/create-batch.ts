import { randomBytes } from "node:crypto";
import {
  type CreateBatchBody,
  createBatchBody,
  createBatchQuery,
  createdBatchJson,
} from "@veoq/api-schemas";
import { EnqueueError, enqueueManifest } from "@veoq/pipeline";
import { estimateToJson, toMicros } from "@veoq/pricing";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { readBatchObject } from "../read-batch-objects.ts";
import { type InvalidLineJson, MAX_REPORTED_INVALID, reportJson } from "../stage-manifest.ts";

type BatchOptions = Omit<CreateBatchBody, "items">;

/**
 * POST /v1/batches: the manifest (NDJSON streamed, or JSON `items`) validated as it arrives;
 * with an invalid line and no `skip_invalid`, 422 with every line's error and nothing enqueued.
 * Otherwise `enqueueManifest` adds it as `veoq enqueue` does (idempotent per batch and
 * custom_id): 201 with the batch when this request created it, 200 when it added to one.
 */
export const createBatch = defineRoute<
  undefined,
  z.output<typeof createBatchQuery>,
  BatchOptions | undefined
>({
  method: "post",
  path: "/v1/batches",
  operationId: "createBatch",
  summary: "Create a batch from a manifest (or add lines to one)",
  scope: "write",
  query: createBatchQuery,
  body: { kind: "manifest", schema: createBatchBody },
  responses: {
    200: { description: "Lines added to an existing batch", schema: createdBatchJson },
    201: { description: "The batch was created", schema: createdBatchJson },
  },
  async handle(request, context) {
    const manifest = request.manifest;
    if (manifest === undefined) throw new ApiProblem("bad_request", "a manifest body is required");
    const options: BatchOptions = request.body ?? request.query;
    const skipInvalid = options.skip_invalid === true;
    if (manifest.invalid > 0 && !skipInvalid) {
      throw invalidManifest(manifest.invalid, manifest.lines, manifest.invalidLines);
    }
    const batchId = options.batch_id ?? generatedBatchId(context.now());
    const existed = (await context.store.getBatch(batchId)) !== undefined;
    // Lines the enqueue's own pass finds invalid (an image file under VEOQ_API_IMAGE_DIR that is
    // missing or not an image), named by their line in the upload.
    const laterInvalid: InvalidLineJson[] = [];
    let laterInvalidCount = 0;
    const summary = await enqueueManifest({
      manifestPath: manifest.file,
      ...(context.config.apiImageDir === undefined ? {} : { imageDir: context.config.apiImageDir }),
      source: `api:${request.caller.name}`,
      batchId,
      skipInvalid,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      rerender: options.rerender === true,
      queues: context.queues,
      store: context.store,
      submitAttempts: context.config.submitAttempts,
      ...(context.tracer === undefined ? {} : { tracer: context.tracer }),
      spend: {
        prices: context.prices,
        ledger: context.spend,
        budgetMicros: options.budget === undefined ? undefined : toMicros(options.budget),
      },
      ...(context.objectStore === undefined ? {} : { objectStore: context.objectStore }),
      ...(options.webhook_url === undefined
        ? {}
        : {
            webhook: {
              url: options.webhook_url,
              ...(options.webhook_events === undefined ? {} : { events: options.webhook_events }),
            },
          }),
      onInvalidLine: (report) => {
        laterInvalidCount++;
        if (laterInvalid.length < MAX_REPORTED_INVALID) {
          laterInvalid.push({ ...reportJson(report), line: manifest.lineNumberOf(report.line) });
        }
      },
    }).catch((error: unknown) => {
      if (error instanceof EnqueueError) throw new ApiProblem("invalid_request", error.message);
      throw error;
    });
    if (!summary.enqueued) {
      throw invalidManifest(laterInvalidCount, manifest.lines, laterInvalid);
    }
    const batch = await readBatchObject(context, batchId);
    if (batch === undefined) throw new Error(`batch ${batchId} is gone right after the enqueue`);
    context.logger.info(
      { batchId, caller: request.caller.name, added: summary.added, lines: manifest.lines },
      "api: batch enqueued",
    );
    const invalidLines = [...manifest.invalidLines, ...laterInvalid].slice(0, MAX_REPORTED_INVALID);
    return json(
      existed ? 200 : 201,
      {
        ...batch,
        enqueue: {
          lines: manifest.lines,
          valid: manifest.valid - laterInvalidCount,
          invalid: manifest.invalid + laterInvalidCount,
          added: summary.added,
          already_present: summary.alreadyPresent,
          estimate: summary.estimate === undefined ? null : estimateToJson(summary.estimate),
          reused: {
            lines: summary.reused.lines,
            estimate:
              summary.reused.estimate === undefined
                ? null
                : estimateToJson(summary.reused.estimate),
          },
          unreplicated: summary.unreplicated,
          invalid_lines: invalidLines,
        },
      },
      existed ? {} : { location: `/v1/batches/${batchId}` },
    );
  },
});

function invalidManifest(invalid: number, lines: number, invalidLines: InvalidLineJson[]) {
  return new ApiProblem(
    "invalid_manifest",
    `${invalid} of ${lines} lines are invalid; nothing was enqueued (fix them, or pass skip_invalid to enqueue the valid lines)`,
    { invalid, invalid_lines: invalidLines },
  );
}

/** A batch id for a request that names none: time-ordered and unique. */
function generatedBatchId(now: number): string {
  return `api-${new Date(now).toISOString().slice(0, 10)}-${randomBytes(6).toString("hex")}`;
}
