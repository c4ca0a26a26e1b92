import {
  type BatchStore,
  ITEM_STATES,
  type ItemErrorKind,
  type ItemResult,
  type ItemStage,
  type ItemState,
  isFinalState,
  type SavedFile,
  submitJobDataSchema,
  submitJobId,
  type VeoqQueues,
} from "@veoq/pipeline";

/** Items per page of a batch's item table: the default, and the most a request may ask for. */
export const ITEMS_PER_PAGE = 50;
export const MAX_ITEMS_PER_PAGE = 200;
/** Characters of a prompt shown in the item table (the item page shows it whole). */
export const PROMPT_EXCERPT_CHARS = 80;
/** Characters of a prompt the item page shows (the provider accepts longer ones). */
const PROMPT_SHOWN_CHARS = 4000;

/** A saved file of an item, with where the dashboard serves it. */
/** A saved file (with what the video is, when checked) and where the dashboard serves it. */
export interface ItemFileView extends SavedFile {
  /** The file, served by the dashboard (behind its auth). */
  url: string;
}

/** One row of a batch's item table (and the head of its item page). */
export interface ItemRow {
  customId: string;
  state: ItemState;
  /** The item's own page on the dashboard. */
  url: string;
  model: string | undefined;
  /** The manifest's prompt, shortened to PROMPT_EXCERPT_CHARS (whole on the item page). */
  prompt: string | undefined;
  durationSeconds: number | undefined;
  resolution: string | undefined;
  /** Create requests sent for the item (all submissions, all tries). */
  submitAttempts: number | undefined;
  /** Answered task-result reads. */
  polls: number | undefined;
  taskIds: string[];
  enqueuedAt: number | undefined;
  submittedAt: number | undefined;
  finishedAt: number | undefined;
  files: ItemFileView[];
  errorKind: ItemErrorKind | undefined;
  errorMessage: string | undefined;
  failedStage: ItemStage | undefined;
}

export interface ItemPage {
  batchId: string;
  /** The state filter, or undefined for every item. */
  state: ItemState | undefined;
  offset: number;
  limit: number;
  /** Items matching the filter (all pages). */
  total: number;
  items: ItemRow[];
}

export interface ItemPageQuery {
  state: ItemState | undefined;
  offset: number;
  limit: number;
}

/** The item table's query from a request's `state`, `offset` and `limit` (bounded, defaulted). */
export function itemPageQuery(query: Record<string, unknown>): ItemPageQuery {
  const state = ITEM_STATES.find((s) => s === query.state);
  const whole = (value: unknown, fallback: number) => {
    const n = typeof value === "string" ? Number(value) : Number.NaN;
    return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
  };
  return {
    state,
    offset: whole(query.offset, 0),
    limit: Math.min(MAX_ITEMS_PER_PAGE, Math.max(1, whole(query.limit, ITEMS_PER_PAGE))),
  };
}

export function itemUrl(batchId: string, customId: string): string {
  return `/batches/${encodeURIComponent(batchId)}/items/${encodeURIComponent(customId)}`;
}

export function itemFileUrl(batchId: string, customId: string, index: number): string {
  return `${itemUrl(batchId, customId)}/files/${index}`;
}

/**
 * One page of a batch's items (see BatchStore.listItems: read by range, never the whole batch),
 * each with its final record when it has one and its manifest request (prompt, duration,
 * resolution) from its first submit job while that job is kept.
 */
export async function readItemPage(
  store: BatchStore,
  queues: VeoqQueues,
  batchId: string,
  query: ItemPageQuery,
): Promise<ItemPage> {
  const page = await store.listItems(batchId, query);
  const ids = page.items.map((item) => item.customId);
  const [results, requests] = await Promise.all([
    store.itemResults(batchId, ids),
    Promise.all(ids.map((customId) => readRequest(queues, batchId, customId))),
  ]);
  return {
    batchId,
    state: query.state,
    offset: query.offset,
    limit: query.limit,
    total: page.total,
    items: page.items.map(({ customId, state }, i) =>
      itemRowOf(batchId, customId, state, results[i], requests[i], PROMPT_EXCERPT_CHARS),
    ),
  };
}

/** One item with its whole prompt, or undefined when the batch has no such item. */
export async function readItemRow(
  store: BatchStore,
  queues: VeoqQueues,
  batchId: string,
  customId: string,
): Promise<ItemRow | undefined> {
  const state = await store.itemState(batchId, customId);
  if (state === undefined) return undefined;
  const [result, request] = await Promise.all([
    store.itemResult(batchId, customId),
    readRequest(queues, batchId, customId),
  ]);
  return itemRowOf(batchId, customId, state, result, request, PROMPT_SHOWN_CHARS);
}

/** What the item table shows of a manifest line's request (and of an item still in flight). */
interface RequestView {
  model: string;
  prompt: string | undefined;
  durationSeconds: number | undefined;
  resolution: string | undefined;
  taskIds: string[];
  submitAttempts: number;
  polls: number;
  enqueuedAt: number;
  submittedAt: number | undefined;
}

/** The item's first submit job: its request as the manifest gave it (undefined once removed). */
async function readRequest(
  queues: VeoqQueues,
  batchId: string,
  customId: string,
): Promise<RequestView | undefined> {
  const job = await queues.submit.getJob(submitJobId(batchId, customId, 0));
  const parsed = submitJobDataSchema.safeParse(job?.data);
  if (!parsed.success) return undefined;
  const { input, model, trace, taskId } = parsed.data;
  const taskIds = trace.taskIds.length > 0 ? trace.taskIds : taskId ? [taskId] : [];
  return {
    model,
    prompt: typeof input.prompt === "string" ? input.prompt : undefined,
    durationSeconds:
      typeof input.duration_seconds === "number" ? input.duration_seconds : undefined,
    resolution: typeof input.resolution === "string" ? input.resolution : undefined,
    taskIds,
    submitAttempts: trace.submitAttempts,
    polls: trace.polls,
    enqueuedAt: trace.enqueuedAt,
    submittedAt: trace.submittedAt,
  };
}

function itemRowOf(
  batchId: string,
  customId: string,
  state: ItemState,
  stored: ItemResult | undefined,
  request: RequestView | undefined,
  promptChars: number,
): ItemRow {
  // A retried item keeps its old record until it is final again: its error and files are
  // history then, its attempts and tasks still the latest known.
  const final = isFinalState(state);
  const result = final ? stored : undefined;
  return {
    customId,
    state,
    url: itemUrl(batchId, customId),
    model: stored?.model ?? request?.model,
    prompt: request?.prompt === undefined ? undefined : excerpt(request.prompt, promptChars),
    durationSeconds: request?.durationSeconds,
    resolution: request?.resolution,
    submitAttempts: stored?.submitAttempts ?? request?.submitAttempts,
    polls: stored?.polls ?? request?.polls,
    taskIds: stored?.taskIds ?? request?.taskIds ?? [],
    enqueuedAt: stored?.enqueuedAt ?? request?.enqueuedAt,
    submittedAt: stored?.submittedAt ?? request?.submittedAt,
    finishedAt: result?.finishedAt,
    files: (result?.files ?? []).map((file) => ({
      ...file,
      url: itemFileUrl(batchId, customId, file.index),
    })),
    errorKind: result?.errorKind,
    errorMessage: result?.errorMessage,
    failedStage: result?.failedStage,
  };
}

function excerpt(text: string, chars: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= chars ? flat : `${flat.slice(0, chars - 1)}…`;
}
