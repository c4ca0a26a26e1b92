import type { Logger } from "@veoq/logging";
import { DelayedError, type Job } from "bullmq";
import type { ProviderKey } from "../keys/provider-keys.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The key that created the job's task (its polls and downloads go with it). A process that does
 * not hold that key says so and leaves the job, delayed, for a process that has it: no attempt
 * is charged and nothing fails.
 */
export async function keyOfTask(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  keyName: string | undefined,
  log: Logger,
): Promise<ProviderKey> {
  const key = context.keys.get(keyName);
  if (key !== undefined) return key;
  log.warn(
    { key: keyName },
    `this worker does not hold the API key ${keyName} that created the task; leaving the job for a worker that has it`,
  );
  // Jittered, so the process that has the key is not always the later one to wake for the job.
  const waitMs = PIPELINE_DEFAULTS.missingKeyRecheckMs * (0.5 + context.random());
  await job.moveToDelayed(context.now() + Math.round(waitMs), token);
  throw new DelayedError();
}
