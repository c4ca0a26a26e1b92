import { pollJobDataSchema, type VeoqQueues } from "@veoq/pipeline";

/**
 * How long a task of each endpoint usually takes (provider seconds, 8 s video). Mid-range of
 * what the provider's tasks take in practice (img2video about 1-3 min, Lite about 30-90 s).
 */
export const TYPICAL_TASK_SECONDS: Readonly<Record<string, number>> = {
  "veo-3.1-generate-img2video": 120,
  "veo-3.1-lite-firstlastframe": 60,
};
/** For models not in the table. */
const FALLBACK_TYPICAL_SECONDS = 120;

export interface StuckRule {
  /** Poll deadline (VEOQ_POLL_DEADLINE_SECONDS, provider seconds). */
  pollDeadlineSeconds: number;
  /** Real seconds per provider second (VEOQ_TIME_SCALE). */
  timeScale: number;
  /** Typical task duration per model (provider seconds). Default TYPICAL_TASK_SECONDS. */
  typicalTaskSeconds?: Readonly<Record<string, number>>;
}

/**
 * The stuck rule: a task still being polled is stuck once its age (since the provider created
 * it) passes 3× the typical duration for its model or half the poll deadline, whichever comes
 * first. Half the deadline leaves an operator time to look before the item fails as timed out.
 * Returns the threshold in real milliseconds.
 */
export function stuckThresholdMs(model: string, rule: StuckRule): number {
  const typical =
    (rule.typicalTaskSeconds ?? TYPICAL_TASK_SECONDS)[model] ?? FALLBACK_TYPICAL_SECONDS;
  const providerSeconds = Math.min(3 * typical, rule.pollDeadlineSeconds / 2);
  return providerSeconds * 1000 * rule.timeScale;
}

export interface StuckItem {
  batchId: string;
  customId: string;
  model: string;
  taskId: string;
  /** The poll job (in the poll queue). */
  jobId: string;
  /** Real seconds since the task was created. */
  ageSeconds: number;
  /** Real seconds after which a task of this model counts as stuck. */
  thresholdSeconds: number;
  /** Last status the provider reported, if any. */
  lastStatus: string | undefined;
  /** BullMQ progress (the provider's progress_percent), if reported. */
  progress: number | undefined;
}

/** Poll jobs read per look for stuck items. */
export const STUCK_SCAN_LIMIT = 5000;

/**
 * Items whose task is still being polled past the stuck threshold. Reads at most
 * STUCK_SCAN_LIMIT poll jobs (active first, then delayed, waiting, prioritized).
 */
export async function findStuckItems(
  queues: VeoqQueues,
  rule: StuckRule,
  now: number,
): Promise<StuckItem[]> {
  const jobs = await queues.poll.getJobs(
    ["active", "delayed", "waiting", "prioritized"],
    0,
    STUCK_SCAN_LIMIT - 1,
  );
  const stuck: StuckItem[] = [];
  for (const job of jobs) {
    const parsed = pollJobDataSchema.safeParse(job?.data);
    if (!job?.id || !parsed.success) continue;
    const data = parsed.data;
    const threshold = stuckThresholdMs(data.model, rule);
    const age = now - data.createdAt;
    if (age <= threshold) continue;
    stuck.push({
      batchId: data.batchId,
      customId: data.customId,
      model: data.model,
      taskId: data.taskId,
      jobId: job.id,
      ageSeconds: age / 1000,
      thresholdSeconds: threshold / 1000,
      lastStatus: data.lastStatus,
      progress: data.lastProgress,
    });
  }
  return stuck.sort((a, b) => b.ageSeconds - a.ageSeconds);
}
