import type { TaskResult, TaskResultOutput } from "@veoq/contract";
import { toMessageLine } from "./extract-provider-message.ts";

/**
 * A task result with every string the provider sent passed through `redact` (the one redaction
 * at the client boundary: nothing downstream redacts again), and the failure reason bounded to
 * one message line. A provider or proxy that echoes the Authorization header in a reason must
 * not put the key into job data, results or the dashboard.
 */
export function redactTaskResult(result: TaskResult, redact: (text: string) => string): TaskResult {
  const redactOptional = (text: string | undefined): string | undefined =>
    text === undefined ? undefined : redact(text);
  const redactOutputs = (outputs: readonly TaskResultOutput[]): TaskResultOutput[] =>
    outputs.map((output) => ({
      ...output,
      url: redact(output.url),
      type: redactOptional(output.type),
    }));
  const reason = result.reason === undefined ? undefined : toMessageLine(redact(result.reason));
  return {
    ...result,
    taskId: redactOptional(result.taskId),
    rawStatus: redactOptional(result.rawStatus),
    reason: reason === "" ? undefined : reason,
    videos: redactOutputs(result.videos),
    images: redactOutputs(result.images),
    audios: redactOutputs(result.audios),
  };
}
