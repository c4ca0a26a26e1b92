import type { RequestedVideo } from "@veoq/contract";
import { type VideoBytes, type VideoFacts, verifyVideo } from "@veoq/video-check";
import type { SavedFile } from "../jobs/job-data.ts";
import type { PipelineSettings } from "./pipeline-context.ts";

/** A downloaded file that is not the video the request asked for (VEOQ_VERIFY_OUTPUTS=fail). */
export class OutputRejectedError extends Error {
  readonly kind: "output_invalid" | "output_mismatch";
  /** A truncated file: a new transfer may bring the whole file. */
  readonly retryable: boolean;

  constructor(kind: OutputRejectedError["kind"], message: string, retryable: boolean) {
    super(message);
    this.name = "OutputRejectedError";
    this.kind = kind;
    this.retryable = retryable;
  }
}

/** What a saved file's record says about the video in it. */
export type OutputFacts = Pick<
  SavedFile,
  "durationSeconds" | "width" | "height" | "codecs" | "audio" | "flagged"
>;

function factsOf(facts: VideoFacts): OutputFacts {
  return { ...facts, codecs: [...facts.codecs] };
}

/**
 * Checks a downloaded file (still under its temporary name, or the object just uploaded: `source`
 * opens its bytes) against the request: returns what to record with it, or throws
 * `OutputRejectedError` in `fail` mode. In `warn` mode a bad file is
 * kept and flagged; a truncated one is still fetched again while tries are left, in both modes.
 */
export async function checkOutput(
  mode: PipelineSettings["verifyOutputs"],
  source: string | (() => Promise<VideoBytes>),
  asked: RequestedVideo,
  what: { label: string; triesLeft: boolean },
): Promise<OutputFacts> {
  if (mode === "off") return {};
  const verdict = await verifyVideo(typeof source === "string" ? source : await source(), asked);
  if (verdict.status === "ok") return factsOf(verdict.facts);
  if (verdict.status === "invalid") {
    const message = `${what.label} is not a complete video: ${verdict.problem}`;
    if (mode === "fail" || (verdict.truncated && what.triesLeft)) {
      throw new OutputRejectedError("output_invalid", message, verdict.truncated);
    }
    return { flagged: [verdict.problem] };
  }
  if (mode === "fail") {
    const message = `${what.label} is not the video asked for: ${verdict.differences.join("; ")}`;
    throw new OutputRejectedError("output_mismatch", message, false);
  }
  return { ...factsOf(verdict.facts), flagged: verdict.differences };
}
