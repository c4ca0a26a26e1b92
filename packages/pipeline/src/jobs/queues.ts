import { Queue, type Telemetry } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { QUEUE_NAMES, type QueueRole, queuePrefix } from "../store/keys.ts";
import type { DownloadJobData, PollJobData, SubmitJobData } from "./job-data.ts";

export interface VeoqQueues {
  submit: Queue<SubmitJobData>;
  poll: Queue<PollJobData>;
  download: Queue<DownloadJobData>;
  prefix: string;
  close(): Promise<void>;
}

/**
 * How long finished jobs stay in Redis (BullMQ's removeOnComplete / removeOnFail), so that
 * memory does not grow without bound under noeviction. Item results live in the batch store
 * and do not depend on them. Submit jobs are kept longer: they carry the request and metadata
 * that a later re-submission or `veoq retry` reads. Failed jobs are kept for `veoq retry`.
 */
export const KEEP_COMPLETED_SUBMIT = { age: 14 * 24 * 3600 };
export const KEEP_COMPLETED = { age: 24 * 3600, count: 100_000 };
export const KEEP_FAILED = { age: 14 * 24 * 3600 };

/**
 * The removal rules of a queue's finished jobs, given to its workers (start-workers.ts), which
 * finish every job (a stalled job is recovered, never failed): as a queue's defaultJobOptions
 * they were copied into every job's stored options, ~66 bytes of Redis per queued job.
 */
export function keepFinishedJobs(role: QueueRole): {
  removeOnComplete: { age: number; count?: number };
  removeOnFail: { age: number };
} {
  return {
    removeOnComplete: role === "submit" ? KEEP_COMPLETED_SUBMIT : KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function createQueues(
  connection: RedisConnection,
  prefix: string,
  /** BullMQ's own telemetry (bullmq-otel), when tracing is on. */
  extra: { telemetry?: Telemetry } = {},
): VeoqQueues {
  const options = (role: QueueRole) => ({
    connection,
    ...extra,
    prefix: queuePrefix(prefix, role),
  });
  const submit = new Queue<SubmitJobData>(QUEUE_NAMES.submit, options("submit"));
  const poll = new Queue<PollJobData>(QUEUE_NAMES.poll, options("poll"));
  const download = new Queue<DownloadJobData>(QUEUE_NAMES.download, options("download"));
  return {
    submit,
    poll,
    download,
    prefix,
    async close() {
      await Promise.all([submit.close(), poll.close(), download.close()]);
    },
  };
}
