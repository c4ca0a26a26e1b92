import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { DownloadJobData, PollJobData, SubmitJobData } from "./job-data.ts";
import { QUEUE_NAMES } from "./queue-names.ts";

export interface VeoqQueues {
  submit: Queue<SubmitJobData>;
  poll: Queue<PollJobData>;
  download: Queue<DownloadJobData>;
  prefix: string;
  close(): Promise<void>;
}

/**
 * Completed jobs are kept for a day (results and Bull Board read them), failed ones for a week;
 * items' final records live in the batch store, so trimming jobs loses nothing.
 */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 200_000 };
export const KEEP_FAILED = { age: 7 * 24 * 3600 };

export function createQueues(connection: Redis, prefix: string): VeoqQueues {
  const options = { connection, prefix };
  const submit = new Queue<SubmitJobData>(QUEUE_NAMES.submit, options);
  const poll = new Queue<PollJobData>(QUEUE_NAMES.poll, options);
  const download = new Queue<DownloadJobData>(QUEUE_NAMES.download, options);
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
