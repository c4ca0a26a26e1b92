import type { Logger } from "@veoq/logging";
import { DelayedError, type Job } from "bullmq";
import { listKeyWait } from "../keys/key-hand-off.ts";
import type { ProviderKey } from "../keys/provider-keys.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import { ANY_KEY } from "../store/worker-registry.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/** What a poll or download job says about the task it follows and how often it was left. */
export interface PinnedJobData {
  batchId: string;
  /** The name of the key that created the task (absent: the first key). */
  keyName?: string | undefined;
  /** Times a worker without that key left the job (its backoff's exponent). */
  keyWaits?: number | undefined;
}

/**
 * The wait before a job left for lack of its key comes back (real ms): while a live worker of
 * the stage holds the key, `missingKeyRecheckMs` doubled per earlier leave up to
 * `missingKeyMaxRecheckMs`, so two workers with disjoint keys never bounce a job without end and
 * the one with the key takes it within about a second; with no live holder, the bound. Jittered
 * (0.5-1.5x), so the worker with the key is not always the later one to wake for the job.
 */
export function missingKeyWaitMs(keyWaits: number, liveHolder: boolean, random: number): number {
  const { missingKeyRecheckMs: base, missingKeyMaxRecheckMs: max } = PIPELINE_DEFAULTS;
  const wait = liveHolder ? Math.min(max, base * 2 ** Math.min(keyWaits, 30)) : max;
  return Math.round(wait * (0.5 + random));
}

/**
 * The key that created the job's task (its polls and downloads go with it). A process that does
 * not hold that key says so and leaves the job, delayed (`missingKeyWaitMs`), for a process that
 * has it: no attempt is charged and nothing fails. The batch records the wait, by the key's name
 * (BatchRecord.keyWait): its waiting reason says so when no live worker holds the key. A worker
 * with the key that takes a job left before clears that wait and resets `data.keyWaits`.
 */
export async function keyOfTask(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: PinnedJobData,
  role: "poll" | "download",
  log: Logger,
): Promise<ProviderKey> {
  const keyName = data.keyName;
  const key = context.keys.get(keyName);
  if (key !== undefined) {
    // Taken by a worker with the key after others left it: the batch waits on it no more, and
    // the backoff starts again (reset on the caller's data too: it spreads it into later writes).
    if ((data.keyWaits ?? 0) > 0 && keyName !== undefined) {
      data.keyWaits = undefined;
      await Promise.all([
        context.store.clearKeyWait(data.batchId, keyName),
        job.updateData({ ...job.data, keyWaits: undefined }),
      ]);
    }
    return key;
  }
  const name = keyName as string;
  const workers = await context.store.workers.list();
  const liveHolder = workers.some(
    (worker) =>
      worker.roles.includes(role) &&
      (worker.keys ?? [ANY_KEY]).some((k) => k === name || k === ANY_KEY),
  );
  const keyWaits = (data.keyWaits ?? 0) + 1;
  const waitMs = missingKeyWaitMs(keyWaits - 1, liveHolder, context.random());
  const changed = await context.store.setKeyWait(data.batchId, {
    key: name,
    role,
    at: context.now(),
  });
  if (changed || keyWaits === 1) {
    log.warn(
      { key: name, keyWaits, waitMs, liveHolder },
      liveHolder
        ? `this worker does not hold the API key ${name} that created the task; leaving the job for a worker that has it`
        : `KEY MISSING: no live ${role} worker holds the API key ${name} that created the task; the job waits (nothing fails) until a worker with that key starts`,
    );
  }
  await job.updateData({ ...job.data, keyWaits });
  await job.moveToDelayed(context.now() + waitMs, token);
  // A worker with the key promotes it (keys/key-hand-off.ts) before the wait ends.
  await listKeyWait(
    context.store.redis,
    context.store.prefix,
    name,
    role,
    String(job.id),
    context.now(),
  );
  throw new DelayedError();
}
