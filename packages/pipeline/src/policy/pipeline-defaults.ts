/**
 * Every fixed tunable of the pipeline, in one place, with its meaning (like the provider client's
 * PROVIDER_CLIENT_DEFAULTS). What an operator sets is in @veoq/config (VEOQ_* variables); what is
 * here is not configurable, either because no deployment needs another value or because a test
 * seam (StartWorkersOptions) covers it. The poll policy's own shape is DEFAULT_POLL_POLICY
 * (poll-policy.ts). "Provider seconds" are scaled to real time by VEOQ_TIME_SCALE.
 */
export const PIPELINE_DEFAULTS = {
  /**
   * Attempts of a poll job. Re-delays are not attempts (the poll deadline bounds them); attempts
   * are only spent by errors no poll decision foresaw (e.g. Redis away mid-step).
   */
  pollJobAttempts: 5,
  /** Ceiling of the retry delay of submits and downloads (ms); at least VEOQ_RETRY_BASE_MS. */
  retryMaxMs: 60_000,
  /**
   * Longest wait of the submit queue for a slot without a release (provider seconds). A freed
   * slot wakes the queue at once (provider-slots.ts), so this is only a safety net: a release by
   * a process that died before it could wake the queue, or a slot freed by the reconciler.
   */
  slotWaitSeconds: 30,
  /**
   * How long a submit job of a paused batch waits before it looks again (provider seconds).
   * `veoq resume` and `veoq budget` promote the waiting jobs at once, so this only bounds how long
   * a missed promotion (a crash during resume) delays them.
   */
  pausedRecheckSeconds: 60,
  /**
   * How long an item whose request another item is rendering waits before it looks again
   * (provider seconds; stages/request-reuse.ts): about a poll interval of a running task, so a
   * reused render completes soon after its owner does.
   */
  reuseRecheckSeconds: 10,
  /**
   * How long `enqueue` waits for a replica to hold the batch it wrote before it reports the batch
   * acknowledged (real ms; store/connection/redis-server-check.ts). Past it the enqueue still succeeds, and says
   * which master's replicas had not caught up (a failover then could lose those lines).
   */
  replicaAckTimeoutMs: 2_000,
  /** Shortest wait of the submit queue for a slot (real ms), however fast the time scale. */
  minSlotWaitMs: 50,
  /**
   * How often a rate-limited submit worker looks whether the wait was lifted (provider seconds;
   * BullMQ's maximumRateLimitDelay): workers sleep out a rate limit locally, so a deleted
   * limiter key is seen at the next look. Half a provider second keeps a freed slot's idle time
   * well under a second. (A worker blocked waiting for new jobs is woken by BullMQ's marker
   * instead; see idleFetchWaitSeconds.)
   */
  slotWakeCheckSeconds: 0.5,
  /** Bounds of that look (real ms): not busier than 50 a second, not rarer than once a second. */
  slotWakeCheckMinMs: 20,
  slotWakeCheckMaxMs: 1_000,
  /**
   * Longest wait of an idle worker for new jobs (real seconds; BullMQ's drainDelay, one
   * BZPOPMIN on the queue's marker and then a fetch, ~9 Redis commands, per queue). Every event
   * that makes work ends it early through the marker: a job added, a delayed job due, a slot
   * freed while items wait, a job returned by RateLimitError. So an idle worker process (three
   * queues, and the webhook delivery queue, which waits as long) costs under 2 commands a second
   * with the stalled checks (stalled-check.ts) and the rest (bench "idle"); it was ~24 at this
   * wait's old 0.5 provider s for the submit queue, ~99 at the simulator's time scale.
   * Under BullMQ's 10 s cap on the block of a delayed-job wait, its own reconnect watchdog fires
   * at this wait + 1 s.
   */
  idleFetchWaitSeconds: 30,
  /** How long the submit queue waits after a 429 without Retry-After (real ms). */
  rateLimitWaitMs: 5_000,
  /**
   * Wait before the next poll after a credentials error (401/403/402) on a poll (provider
   * seconds): long enough to be quiet, short enough to notice a fix.
   */
  credentialsPollDelaySeconds: 60,
  /**
   * Real ms a poll or download job first waits when its worker lacks the API key that created its
   * task while a live worker holds it (stages/pipeline-context.ts): doubled each time the job is left
   * again (jittered), up to `missingKeyMaxRecheckMs`, so it is never bounced between workers
   * without end while the worker with the key picks it up within about a second.
   */
  missingKeyRecheckMs: 1_000,
  /**
   * The most a job waits when left for lack of its key: the backoff's bound, and the wait when no
   * live worker holds the key at all (the batch's waiting reason then names the key).
   */
  missingKeyMaxRecheckMs: 10_000,
  /**
   * Real ms between a worker's sweeps for jobs left for a key it holds (keys/key-hand-off.ts).
   * A listing wakes the holders by a pub/sub message at once; the sweep only finds what was
   * listed while a holder was not subscribed, at one read per held key per sweep.
   */
  keyHandOffSweepMs: 30_000,
  /** Fresh task-result reads per download job when result URLs have expired (401/403/404/410). */
  maxUrlRefreshes: 3,
  /**
   * Stalls tolerated per job before BullMQ would fail it: high, because a stall is a crashed
   * worker, not the job's fault, and the job is recovered however often that happens.
   */
  maxStalledCount: 1000,
  /** How often leaked provider slots are looked for (real ms). */
  slotReconcileIntervalMs: 30_000,
  /**
   * How often workers (poll role) delete the records of batches finished longer ago than
   * VEOQ_BATCH_RETENTION_DAYS (operations/batch-retention.ts; real ms).
   */
  retentionSweepIntervalMs: 3_600_000,
  /** How old a slot must be before the reconciler checks its holder (real ms). */
  slotReconcileGraceMs: 60_000,
  /**
   * While downloads are stopped because the object store refused the credentials, how often a
   * download worker checks whether it takes writes again, and resumes downloads if so (real ms).
   */
  objectStoreCheckIntervalMs: 15_000,
  /** At most one "worker error" log line per queue per this interval (real ms). */
  workerErrorLogIntervalMs: 10_000,
  /**
   * How often a worker process refreshes its heartbeat record (real ms;
   * store/worker-registry.ts). `veoq workers`, the dashboard and `veoq_workers` list a process
   * while its record lives.
   */
  workerHeartbeatMs: 10_000,
  /**
   * Lifetime of a heartbeat record (real ms): a process that stopped refreshing it (killed, hung,
   * cut off from Redis) drops out of the list this long after its last beat. Three beats, so one
   * slow beat on a loaded machine does not hide a live worker.
   */
  workerRecordTtlMs: 30_000,
  /** Submit queue cap (jobs per second across all processes) when none is given: effectively none. */
  submitRatePerSecond: 1_000_000,
} as const;

/**
 * The submit worker's `maximumRateLimitDelay` and `drainDelay` (real ms) for a time scale (see
 * PIPELINE_DEFAULTS).
 */
export function slotWakeCheckMs(timeScale: number): number {
  const ms = PIPELINE_DEFAULTS.slotWakeCheckSeconds * 1000 * timeScale;
  return Math.round(
    Math.min(
      PIPELINE_DEFAULTS.slotWakeCheckMaxMs,
      Math.max(PIPELINE_DEFAULTS.slotWakeCheckMinMs, ms),
    ),
  );
}
