import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { S3ObjectStore } from "@veoq/object-store";
import type { VeoqQueues } from "../jobs/queues.ts";
import type { BatchControl } from "../store/batch-control.ts";
import type { BatchStore } from "../store/batch-store.ts";
import { type RedisConnection, scanEveryMaster } from "../store/connection/redis-connection.ts";
import { batchTag, isValidBatchId, JOB_ID_SEPARATOR } from "../store/keys.ts";
import { runStoreScript } from "../store/store-scripts.ts";
import { UnknownBatchError } from "./batch-lifecycle.ts";

/** What `deleteBatch` needs: the records, the queues, and where the batch's files are. */
export interface DeleteBatchContext {
  store: BatchStore;
  queues: VeoqQueues;
  control: BatchControl;
  /** VEOQ_OUTPUT_DIR: the batch's files are `<outputDir>/<batch>/` when no bucket is set. */
  outputDir: string;
  /** VEOQ_OUTPUT_URL's bucket: the batch's files are the objects under `<batch>/`. */
  objectStore?: S3ObjectStore | undefined;
}

export interface DeleteBatchSummary {
  batchId: string;
  /** Items the batch had. */
  items: number;
  /** Jobs of the batch removed from the submit, poll and download queues. */
  jobs: number;
  /** Request index and task index entries that named its items. */
  indexEntries: number;
  /** Redis keys of the batch's own records removed. */
  keys: number;
  /** Output files (or objects) removed; undefined without `files`. */
  files: number | undefined;
}

/** The batch still has items that are not final, and is not cancelled. */
export class BatchInFlightError extends Error {
  override name = "BatchInFlightError";
}

/** A worker holds a job of the batch right now (a cancelled batch's last steps): try again. */
export class BatchBusyError extends Error {
  override name = "BatchBusyError";
}

/**
 * `veoq delete BATCH [--files]` and the retention sweep (expireFinishedBatches): removes every
 * trace of the batch from Redis: its jobs in the three queues, its records (item states,
 * results, order, state sets, webhook outbox and deliveries, control, spend), its entries in the
 * account-wide records (batch list, request and task index, priority, spend reservations,
 * outbox hint), and with `files` its output files or objects. Refused (BatchInFlightError) while
 * items are not final, unless the batch was cancelled first; refused (BatchBusyError, nothing of
 * its records removed) when a worker holds one of its jobs at that moment.
 *
 * The batch record goes last, so a delete that stops half-way (Redis lost) is finished by
 * running it again. Items of other batches that reused its renders keep their own files (hard
 * links or copies, stages/reused-files.ts); a later line with the same request renders again.
 */
export async function deleteBatch(
  context: DeleteBatchContext,
  batchId: string,
  options: { files?: boolean } = {},
): Promise<DeleteBatchSummary> {
  const { store } = context;
  const batch = isValidBatchId(batchId) ? await store.getBatch(batchId) : undefined;
  if (batch === undefined) throw new UnknownBatchError(`no batch ${JSON.stringify(batchId)}`);
  const open = batch.counts.queued + batch.counts.processing + batch.counts.downloading;
  if (open > 0 && (await context.control.read(batchId)).state !== "cancelled") {
    throw new BatchInFlightError(
      `batch ${batchId} has ${open} items not final yet (queued, rendering or downloading): cancel it first (\`veoq cancel ${batchId}\`), or wait until it finishes`,
    );
  }

  const { jobs, busy } = await removeBatchJobs(context.queues, batchId);
  if (busy > 0) {
    throw new BatchBusyError(
      `${busy} jobs of batch ${batchId} are being worked on right now; nothing of its records was deleted: run the delete again in a moment`,
    );
  }
  const redis = store.redis;
  const keys = store.keys;
  const owned = `${batchId}${JOB_ID_SEPARATOR}`;
  const indexEntries =
    (await dropHashEntries(redis, keys.requestIndex, (_, value) => value.startsWith(owned))) +
    (await dropHashEntries(redis, keys.taskIndex, (_, value) => value.startsWith(owned)));
  const reservations = await redis
    .hkeys(keys.spendReservations)
    .then((holders) => holders.filter((h) => h.startsWith(owned)));
  if (reservations.length > 0) {
    await redis.hdel(keys.spendReservations, ...reservations);
    await redis.zrem(keys.spendReservationTimes, ...reservations);
  }
  await redis.hdel(`${store.prefix}:batch-priority`, batchId);
  await redis.srem(keys.webhookOutboxBatches, batchId);
  await redis.zrem(keys.enqueueRunBatches, batchId);
  await redis.zrem(keys.batches, batchId);

  const files = options.files === true ? await deleteBatchFiles(context, batchId) : undefined;

  // Every key of the batch: its own hash tag, and its control and spend records.
  const found = new Set<string>([keys.batchControl(batchId), keys.batchSpend(batchId)]);
  for (const start of [
    `${batchTag(store.prefix, batchId)}:`,
    `${store.prefix}:batch:${batchId}:`,
  ]) {
    for await (const key of scanEveryMaster(redis, `${escapeGlob(start)}*`)) found.add(key);
  }
  const record = keys.batch(batchId);
  found.delete(record);
  let removed = 0;
  for (const key of found) removed += await redis.del(key);
  removed += await redis.del(record);
  return { batchId, items: batch.total, jobs, indexEntries, keys: removed, files };
}

/**
 * Removes the batch's jobs from the three queues (found by their ids, which start with
 * `<batch>~`). Jobs a worker holds (locked) stay and are counted as `busy`.
 */
async function removeBatchJobs(
  queues: VeoqQueues,
  batchId: string,
): Promise<{ jobs: number; busy: number }> {
  let jobs = 0;
  let busy = 0;
  for (const queue of [queues.submit, queues.poll, queues.download]) {
    const base = `${queue.opts.prefix ?? "bull"}:${queue.name}:`;
    const ids = new Set<string>();
    const client = (await queue.client) as unknown as RedisConnection;
    for await (const key of scanEveryMaster(
      client,
      `${escapeGlob(`${base}${batchId}${JOB_ID_SEPARATOR}`)}*`,
    )) {
      // `<base><job id>` and its `:logs`, `:lock`…: a job id has no ':'.
      const id = key.slice(base.length).split(":")[0];
      if (id !== undefined && id !== "") ids.add(id);
    }
    for (const id of ids) {
      const removed = await queue.remove(id).catch(() => 0);
      if (removed === 1) jobs++;
      else if ((await queue.getJob(id)) !== undefined) busy++;
    }
  }
  return { jobs, busy };
}

/** Removes the fields of hash `key` that `drop` picks (a page of HSCAN at a time). */
async function dropHashEntries(
  redis: RedisConnection,
  key: string,
  drop: (field: string, value: string) => boolean,
): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, flat] = await redis.hscan(key, cursor, "COUNT", 1000);
    cursor = next;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] as string;
      const value = flat[i + 1] as string;
      if (drop(field, value)) pairs.push(field, value);
    }
    if (pairs.length > 0)
      removed += Number(await runStoreScript(redis, "dropIndexEntries", [key], pairs));
  } while (cursor !== "0");
  return removed;
}

/** The batch's output folder on disk, or its objects in the bucket; how many files went. */
async function deleteBatchFiles(context: DeleteBatchContext, batchId: string): Promise<number> {
  if (context.objectStore !== undefined) return context.objectStore.deleteFolder(batchId);
  const folder = path.join(path.resolve(context.outputDir), batchId);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    },
  );
  await rm(folder, { recursive: true, force: true });
  return entries.filter((e) => e.isFile()).length;
}

/** A literal string as a SCAN pattern (batch ids have no glob characters; prefixes might). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
