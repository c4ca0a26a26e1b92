import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import {
  AsciiKeyMap,
  LineBlockDigests,
  type LineReport,
  MAX_LINE_BYTES,
  type ManifestEntry,
  readManifestLines,
  validateManifest,
  validateManifestBatches,
} from "@veoq/manifest";
import type { S3ObjectStore } from "@veoq/object-store";
import { type CostEstimate, CostTally, type PriceTable, requestCost } from "@veoq/pricing";
import type { SubmitJobData } from "../jobs/job-data.ts";
import type { VeoqQueues } from "../jobs/queues.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { ItemTracer } from "../stages/pipeline-observer.ts";
import type { BatchStore } from "../store/batch-store.ts";
import { EnqueueMark } from "../store/batches.ts";
import { isRedisOutOfMemory, REDIS_OUT_OF_MEMORY } from "../store/connection/out-of-memory.ts";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { waitForReplicas } from "../store/connection/redis-server-check.ts";
import { fairPriority, type PriorityLevel } from "../store/fair-share.ts";
import { isValidBatchId, submitJobId } from "../store/keys.ts";
import {
  type RequestIndex,
  type RequestOwner,
  reuseDecision,
  sameOwner,
} from "../store/request-index.ts";
import type { SpendLedger } from "../store/spend-ledger.ts";
import { type BatchWebhook, batchWebhookSchema } from "../store/webhook-outbox.ts";
import { type BudgetChange, setBatchBudget } from "./batch-lifecycle.ts";
import { EnqueueError } from "./enqueue-error.ts";
import { RequestFingerprints } from "./request-fingerprint.ts";
import { storeInputImages } from "./store-input-images.ts";

export interface EnqueueProgress {
  phase: "validate" | "enqueue";
  lines: number;
  /** Known after the validate phase. */
  totalLines: number | undefined;
  invalid: number;
  added: number;
  alreadyPresent: number;
}

export interface EnqueueManifestOptions {
  manifestPath: string;
  /** Folder that relative image paths resolve against (default: the manifest's folder). */
  imageDir?: string;
  /** What the batch record names as its source (default: the manifest's absolute path). */
  source?: string;
  /** Default: the manifest's file name plus a short hash of its absolute path (stable across runs). */
  batchId?: string;
  /** Enqueue the valid lines even when some are invalid (default false: enqueue nothing then). */
  skipInvalid?: boolean;
  queues: VeoqQueues;
  store: BatchStore;
  /** Tries per create request (VEOQ_SUBMIT_ATTEMPTS). */
  submitAttempts: number;
  /** The batch's share of slots (fair-share.ts); default: the level it has, else normal. */
  priority?: PriorityLevel;
  /** Jobs added per round trip; default 250 (larger chunks raise peak memory more than they save time). */
  chunkSize?: number;
  /** Chunks being sent at once; default 3. */
  chunksInFlight?: number;
  now?: () => number;
  onProgress?: (progress: EnqueueProgress) => void;
  /** Called for every invalid line, in order. */
  onInvalidLine?: (report: LineReport) => void;
  /**
   * Prices the manifest: the summary carries its estimate, and each added item's cost is added
   * to the batch's stored estimate. `budgetMicros` sets the batch budget before any job is added.
   */
  spend?: { prices: PriceTable; ledger: SpendLedger; budgetMicros?: number | undefined };
  /**
   * The bucket of VEOQ_OUTPUT_URL: local images are stored there once (content-addressed) and
   * jobs reference the objects, so workers on other machines can read them.
   */
  objectStore?: S3ObjectStore;
  /**
   * Pay for new renders of requests this deployment already rendered or is rendering
   * (`--rerender`). By default such lines reuse the earlier outputs (stages/request-reuse.ts).
   */
  rerender?: boolean;
  /**
   * The batch's webhook (`--webhook URL --webhook-events a,b`): stored on the batch record, where
   * the pipeline's scripts read which item events to report and packages/webhooks where to send
   * them. Events default to batch.completed, batch.paused and item.failed. A later enqueue of the
   * same batch with another webhook replaces it.
   */
  webhook?: { url: string; events?: readonly string[] | undefined };
  /** Opens each new item's trace (packages/tracing); none when undefined. */
  tracer?: ItemTracer;
  /**
   * Register the batch paused (`enqueue --paused`, reason `user`) before any job is added:
   * nothing is created until `veoq resume BATCH`. Default false (a paused batch stays paused).
   */
  paused?: boolean;
  /**
   * Stops the enqueue (Ctrl-C): no further line is read, the chunks being sent land, and the
   * summary says `interrupted`. The batch stays marked "enqueue incomplete" (store/
   * batches.ts) until the same enqueue, run again, goes through every line.
   */
  signal?: AbortSignal;
}

export interface EnqueueSummary {
  batchId: string;
  lines: number;
  valid: number;
  invalid: number;
  /** New items added to the batch. */
  added: number;
  /** Valid lines whose custom_id the batch already had: no new work. */
  alreadyPresent: number;
  /**
   * Added lines whose request another batch of this deployment already rendered or is rendering:
   * they reuse those outputs and pay nothing (unless `rerender`). `estimate` is what they would
   * have cost (with `spend`).
   */
  reused: { lines: number; estimate?: CostEstimate };
  /**
   * What the manifest's lines cost this batch (with `spend`): every valid line but those that
   * reuse another item's render (`reused`), so it equals what the lines add to the batch's
   * stored estimate; undefined when nothing was enqueued.
   */
  estimate?: CostEstimate;
  /** False when invalid lines stopped the enqueue (nothing was added). */
  enqueued: boolean;
  /**
   * True when `signal` stopped the enqueue before the end of the manifest: `lines` of
   * `totalLines` were read and are in the batch; running the same enqueue again adds the rest.
   */
  interrupted: boolean;
  /** Non-blank lines of the manifest (undefined when the validate phase was interrupted). */
  totalLines: number | undefined;
  /**
   * Masters (host:port) whose replicas had not confirmed the enqueue's writes within
   * PIPELINE_DEFAULTS.replicaAckTimeoutMs: a failover now could lose lines written there (run
   * the same enqueue again later to add what is missing). Empty when every write is on a replica
   * or Redis has no replicas.
   */
  unreplicated: string[];
  /**
   * What `spend.budgetMicros` did, once the lines were added (see setBatchBudget): a raise lifts
   * a budget pause, a budget already reached by what was spent pauses the batch.
   */
  budget?: BudgetChange;
}

export { EnqueueError };

/** The batch id used when none is given: readable, and the same for the same manifest file. */
export function defaultBatchId(manifestPath: string): string {
  const absolute = path.resolve(manifestPath);
  const stem = path
    .basename(absolute)
    .replace(/\.[^.]*$/, "")
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 48);
  const hash = createHash("sha256").update(absolute).digest("hex").slice(0, 6);
  return `${stem || "batch"}-${hash}`;
}

/**
 * Validates a manifest and adds one submit job per valid line, in bulk. Job ids come from batch
 * and custom_id, and the batch's item registry is checked first, so enqueuing the same manifest
 * twice adds nothing. Streams the file: memory does not grow with its length (beyond the
 * custom ids kept to find duplicates).
 */
export async function enqueueManifest(options: EnqueueManifestOptions): Promise<EnqueueSummary> {
  const now = options.now ?? Date.now;
  const batchId = options.batchId ?? defaultBatchId(options.manifestPath);
  if (!isValidBatchId(batchId)) {
    throw new EnqueueError(
      `batch id ${JSON.stringify(batchId)} must be 1-64 characters of A-Z a-z 0-9 . _ -`,
    );
  }
  const webhook = parseWebhookOption(options.webhook);
  const chunkSize = options.chunkSize ?? 250;
  const progress: EnqueueProgress = {
    phase: "validate",
    lines: 0,
    totalLines: undefined,
    invalid: 0,
    added: 0,
    alreadyPresent: 0,
  };

  // What the validate pass read: the enqueue pass checks each line once only, there (it re-reads
  // the lines to build their jobs, and checks again only what changed in the file since).
  const validated = options.skipInvalid ? undefined : new LineBlockDigests();
  if (validated !== undefined) {
    // The validate pass's custom_id map is dropped with it: the enqueue pass does not look ids up
    // in unchanged blocks, so memory holds one per-line map at a time, not two (a line changed
    // since that reuses an id is then found by the item registry: already present, not added).
    for await (const reports of validateManifestBatches(options.manifestPath, {
      ...imageDirOption(options),
      seenCustomIds: new AsciiKeyMap(),
      recordDigests: validated,
    })) {
      for (const report of reports) {
        if (options.signal?.aborted) {
          return {
            ...nothingEnqueued(batchId, progress),
            interrupted: true,
            totalLines: undefined,
          };
        }
        progress.lines++;
        if (!report.ok) {
          progress.invalid++;
          options.onInvalidLine?.(report);
        }
        if (progress.lines % 1000 === 0) options.onProgress?.(progress);
      }
    }
    options.onProgress?.(progress);
    if (progress.invalid > 0) {
      return {
        ...nothingEnqueued(batchId, progress),
        interrupted: false,
        totalLines: progress.lines,
      };
    }
    progress.totalLines = progress.lines;
  } else {
    progress.totalLines = await countManifestLines(options.manifestPath);
  }
  const totalLines = progress.totalLines;

  await options.store.ensureBatch(
    batchId,
    options.source ?? path.resolve(options.manifestPath),
    now(),
  );
  if (webhook !== undefined) await options.store.setWebhook(batchId, webhook);
  const { spend } = options;
  const { control } = options.store;
  // Before any job is added, so that no create can come first.
  if (options.paused === true) await control.pause(batchId, "user", now());
  if (spend?.budgetMicros !== undefined) {
    await spend.ledger.setBudget(batchId, spend.budgetMicros);
  }
  /** The lines whose first create this batch pays: the estimate printed, and the one stored. */
  const paidCost = spend === undefined ? undefined : new CostTally(spend.prices.currency);
  const { fairShare } = options.store;
  if (options.priority !== undefined) await fairShare.setLevel(batchId, options.priority);
  const level = options.priority ?? (await fairShare.levelOf(batchId));
  const arrival = await fairShare.arrival(options.queues.submit);
  /** Index within the batch of the next line, in manifest order. */
  let nextIndex = 0;
  progress.phase = "enqueue";
  progress.lines = 0;
  progress.invalid = 0;
  let chunk: RequestLine[] = [];
  const storedImages = new Map<string, Promise<string>>();
  const { requests } = options.store;
  const fingerprints = new RequestFingerprints();
  let reusedLines = 0;
  const reusedCost = spend === undefined ? undefined : new CostTally(spend.prices.currency);
  const mark = new EnqueueMark(options.store.redis, options.store.prefix, batchId);
  /**
   * Adds one chunk: drops items the batch already has, adds the others' jobs, registers them;
   * then the first `linesThrough` lines of the manifest are in (the enqueue mark).
   */
  const flush = async (lines: RequestLine[], firstIndex: number, linesThrough: number) => {
    const lineIds = new Array<string>(lines.length);
    for (let i = 0; i < lines.length; i++) lineIds[i] = (lines[i] as RequestLine).entry.customId;
    const present = await options.store.hasItems(batchId, lineIds);
    let fresh: RequestLine[] = [];
    const presentLines: RequestLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as RequestLine;
      if (present[i]) {
        presentLines.push(line);
      } else {
        line.turn = arrival + firstIndex + i;
        fresh.push(line);
      }
    }
    // Lines an earlier run added count as then: paid unless they reuse another item's render.
    if (spend !== undefined && presentLines.length > 0) {
      const owners = options.rerender
        ? undefined
        : await requests.claimMany(
            presentLines.map(({ entry, request }) => ({
              request,
              owner: { batchId, customId: entry.customId },
            })),
          );
      presentLines.forEach(({ entry }, i) => {
        const owner = owners?.[i];
        if (owner !== undefined && !sameOwner(owner, { batchId, customId: entry.customId })) return;
        paidCost?.add(requestCost(spend.prices, entry.model, entry.input));
      });
    }
    // Requests another batch already rendered or is rendering: reported, and reused at submit.
    const reusable = await claimRequests(
      options.store,
      requests,
      batchId,
      fresh,
      options.rerender === true,
    );
    const bucket = options.objectStore;
    if (bucket !== undefined) {
      fresh = await Promise.all(
        fresh.map(async (line) => ({
          ...line,
          entry: await storeInputImages(line.entry, bucket, storedImages),
        })),
      );
    }
    progress.alreadyPresent += lines.length - fresh.length;
    if (fresh.length > 0) {
      const enqueuedAt = now();
      const jobs = options.queues.submit.addBulk(
        fresh.map(({ entry, turn, request }) => ({
          name: "submit",
          data: submitJobData(batchId, entry, enqueuedAt, options.tracer, {
            request,
            rerender: options.rerender === true,
            turn,
          }),
          opts: {
            jobId: submitJobId(batchId, entry.customId, 0),
            attempts: options.submitAttempts,
            backoff: JOB_BACKOFF,
            priority: fairPriority(turn, level),
          },
        })),
      );
      const ids = fresh.map((e) => e.entry.customId);
      const added = await jobs
        .then(() => options.store.registerItems(batchId, ids))
        .catch(async (error: unknown) => {
          // A chunk's jobs and item records agree even when Redis refuses part of them (full):
          // jobs that landed without their record are taken out again. Removing frees memory,
          // so a full Redis allows it; a lost one does not, and a second run then registers
          // them (jobs are deduplicated by id, records by HSETNX).
          await withdrawUnregisteredJobs(options, batchId, ids).catch(() => {});
          throw error;
        });
      progress.added += added.length;
      const addedIds = new Set(added);
      const addedCost = spend === undefined ? undefined : new CostTally(spend.prices.currency);
      for (const { entry, request } of fresh) {
        if (!addedIds.has(entry.customId)) continue;
        const cost =
          spend === undefined ? undefined : requestCost(spend.prices, entry.model, entry.input);
        if (reusable.has(request)) {
          reusedLines++;
          if (cost !== undefined) reusedCost?.add(cost);
        } else if (cost !== undefined) {
          addedCost?.add(cost);
          paidCost?.add(cost);
        }
      }
      if (spend !== undefined && addedCost !== undefined && added.length > 0) {
        await spend.ledger.addEstimate(batchId, addedCost.estimate());
      }
      progress.alreadyPresent += fresh.length - added.length;
    }
    await mark.reached(linesThrough);
    options.onProgress?.(progress);
  };

  // Up to `chunksInFlight` chunks are being sent while the next is read and validated, so this
  // process encodes one chunk while Redis runs the scripts of the one before. Replies come back
  // in order on the one connection, so each chunk's jobs are added after the previous chunk's:
  // jobs keep manifest order. When a chunk fails (Redis lost), the chunks already under way may
  // still land, so the batch can miss a run of items in the middle; the enqueue throws, and
  // running it again adds exactly what is missing (job ids and the item registry make it safe).
  const chunksInFlight = Math.max(1, options.chunksInFlight ?? 3);
  const sending: Promise<void>[] = [];
  const send = async (lines: RequestLine[]) => {
    if (sending.length >= chunksInFlight) await sending.shift();
    const flushed = flush(lines, nextIndex, progress.lines);
    nextIndex += lines.length;
    flushed.catch(() => {}); // handled: awaited (and thrown) in turn or at the end
    sending.push(flushed);
  };
  // Until every line is added, a batch whose items so far are all final is not complete.
  const run = await options.store.beginEnqueue(batchId, now());
  let interrupted = false;
  try {
    await mark.begin(totalLines);
    read: for await (const reports of validateManifestBatches(options.manifestPath, {
      ...imageDirOption(options),
      checkFiles: options.skipInvalid === true,
      ...(validated === undefined ? {} : { checkedBefore: validated }),
    })) {
      for (const report of reports) {
        if (options.signal?.aborted) {
          interrupted = true;
          break read;
        }
        progress.lines++;
        if (!report.ok || report.entry === undefined) {
          progress.invalid++;
          if (options.skipInvalid) options.onInvalidLine?.(report);
          continue;
        }
        chunk.push({
          entry: report.entry,
          request: fingerprints.nextKnown(report.entry) ?? (await fingerprints.next(report.entry)),
          turn: 0,
        });
        if (chunk.length >= chunkSize) {
          await send(chunk);
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) await send(chunk);
    while (sending.length > 0) await sending.shift();
  } catch (error) {
    // Never return (or let the caller close the connection) with a chunk still being sent.
    await Promise.allSettled(sending);
    await options.store.endEnqueue(batchId, run, now()).catch(() => {});
    if (isRedisOutOfMemory(error)) {
      throw new EnqueueError(
        `${REDIS_OUT_OF_MEMORY}; then run the same enqueue again: it adds exactly the lines not in yet`,
      );
    }
    throw error;
  }
  if (!interrupted) await mark.complete();
  await options.store.endEnqueue(batchId, run, now());
  options.onProgress?.(progress);
  // Acknowledged means on a replica too, where there are replicas (the queue shares the store's
  // connection in veoq's own callers; a separate one is waited on as well).
  const connections = new Set([options.store.redis, await options.queues.submit.client]);
  const unreplicated = (
    await Promise.all(
      [...connections].map((c) =>
        waitForReplicas(c as RedisConnection, PIPELINE_DEFAULTS.replicaAckTimeoutMs),
      ),
    )
  ).flatMap((masters) => masters.map((m) => m.node));
  // The budget again, now that the new lines are counted: a raise lifts a budget pause at once.
  const budget =
    spend?.budgetMicros === undefined
      ? undefined
      : await setBatchBudget(
          { store: options.store, queues: options.queues, control, spend: spend.ledger, now },
          batchId,
          spend.budgetMicros,
        );
  return {
    ...(budget === undefined ? {} : { budget }),
    unreplicated: [...new Set(unreplicated)],
    batchId,
    lines: progress.lines,
    valid: progress.lines - progress.invalid,
    invalid: progress.invalid,
    added: progress.added,
    alreadyPresent: progress.alreadyPresent,
    reused: {
      lines: reusedLines,
      ...(reusedCost === undefined ? {} : { estimate: reusedCost.estimate() }),
    },
    ...(paidCost === undefined ? {} : { estimate: paidCost.estimate() }),
    enqueued: true,
    interrupted,
    totalLines,
  };
}

/** The summary of an enqueue that added nothing (invalid lines, or interrupted while validating). */
function nothingEnqueued(
  batchId: string,
  progress: EnqueueProgress,
): Omit<EnqueueSummary, "interrupted" | "totalLines"> {
  return {
    batchId,
    lines: progress.lines,
    valid: progress.lines - progress.invalid,
    invalid: progress.invalid,
    added: 0,
    alreadyPresent: 0,
    reused: { lines: 0 },
    enqueued: false,
    unreplicated: [],
  };
}

/** The manifest's non-blank lines (as validateManifest reports them), read as a stream. */
async function countManifestLines(manifestPath: string): Promise<number> {
  const regular = await stat(manifestPath).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!regular) {
    // validateManifest names what is wrong with it (ManifestFileError), without reading a FIFO.
    for await (const _ of validateManifest(manifestPath, { checkFiles: false })) break;
    return 0;
  }
  let count = 0;
  const stream = createReadStream(manifestPath, { highWaterMark: 64 * 1024 });
  try {
    for await (const line of readManifestLines(stream, MAX_LINE_BYTES)) {
      if (line.problem !== undefined || !/^\s*$/.test(line.text)) count++;
    }
  } finally {
    stream.destroy();
  }
  return count;
}

/** The webhook option checked (EnqueueError naming the problem), or undefined. */
function parseWebhookOption(webhook: EnqueueManifestOptions["webhook"]): BatchWebhook | undefined {
  if (webhook === undefined) return undefined;
  const parsed = batchWebhookSchema.safeParse(webhook);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EnqueueError(
      `webhook ${issue?.path[0] === "events" ? "events" : "URL"} ${issue?.message ?? "is invalid"}`,
    );
  }
  return parsed.data;
}

/** The backoff of every submit job (the workers' "veoq" strategy); shared, BullMQ only reads it. */
const JOB_BACKOFF = { type: "veoq" } as const;

function submitJobData(
  batchId: string,
  entry: ManifestEntry,
  enqueuedAt: number,
  tracer: ItemTracer | undefined,
  line: { request: string; rerender: boolean; turn: number },
): SubmitJobData & { turn: number } {
  const traceparent = tracer?.startItem({
    batchId,
    customId: entry.customId,
    model: entry.model,
  });
  const trace: SubmitJobData["trace"] = { enqueuedAt, taskIds: [], submitAttempts: 0, polls: 0 };
  if (traceparent !== undefined) trace.traceparent = traceparent;
  // One object literal per line (no spread copies), metadata in it only when the line has some.
  const data: SubmitJobData & { turn: number } =
    entry.metadata === undefined
      ? {
          v: 1,
          batchId,
          customId: entry.customId,
          model: entry.model,
          input: entry.input,
          localImages: entry.localImages,
          submission: 0,
          trace,
          request: line.request,
          turn: line.turn,
        }
      : {
          v: 1,
          batchId,
          customId: entry.customId,
          model: entry.model,
          input: entry.input,
          localImages: entry.localImages,
          metadata: entry.metadata,
          submission: 0,
          trace,
          request: line.request,
          turn: line.turn,
        };
  if (line.rerender) data.rerender = true;
  return data;
}

function imageDirOption(options: EnqueueManifestOptions): { imageDir?: string } {
  return options.imageDir === undefined ? {} : { imageDir: options.imageDir };
}

/** A valid manifest line and its request key (request-fingerprint.ts). */
interface RequestLine {
  entry: ManifestEntry;
  request: string;
  /** Its fair-share turn, set when its chunk is sent. */
  turn: number;
}

/**
 * Claims each line's request for its item in the request index, and returns the request keys
 * that another item of this deployment already holds and has rendered or is rendering (not
 * failed, cancelled or gone): those lines will reuse its outputs (stages/request-reuse.ts).
 * With `rerender` every line takes its request over and none is reused.
 */
async function claimRequests(
  store: BatchStore,
  requests: RequestIndex,
  batchId: string,
  lines: readonly RequestLine[],
  rerender: boolean,
): Promise<Set<string>> {
  const claims = lines.map(({ entry, request }) => ({
    request,
    owner: { batchId, customId: entry.customId },
  }));
  if (rerender) {
    await requests.replaceMany(claims);
    return new Set();
  }
  const owners = await requests.claimMany(claims);
  const others: { request: string; owner: RequestOwner }[] = [];
  for (let i = 0; i < claims.length; i++) {
    const claim = claims[i] as (typeof claims)[number];
    const owner = owners[i] as RequestOwner;
    if (owner !== claim.owner && !sameOwner(owner, claim.owner)) {
      others.push({ request: claim.request, owner });
    }
  }
  const states = await Promise.all(
    others.map(({ owner }) => store.itemState(owner.batchId, owner.customId)),
  );
  const reusable = new Set<string>();
  others.forEach(({ request }, i) => {
    if (reuseDecision(states[i]) !== "render") reusable.add(request);
  });
  return reusable;
}

/**
 * Removes the submit jobs of `customIds` whose item the batch does not have: what a chunk whose
 * job add or item registration failed half-way leaves behind. A job a worker already took
 * (locked) cannot be removed and stays.
 */
async function withdrawUnregisteredJobs(
  options: EnqueueManifestOptions,
  batchId: string,
  customIds: readonly string[],
): Promise<void> {
  const present = await options.store.hasItems(batchId, customIds);
  const orphans = customIds.filter((_, i) => !present[i]);
  await Promise.all(
    orphans.map(async (customId) => {
      const job = await options.queues.submit.getJob(submitJobId(batchId, customId, 0));
      await job?.remove().catch(() => {});
    }),
  );
}
