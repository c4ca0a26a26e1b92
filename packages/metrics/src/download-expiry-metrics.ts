import { downloadJobDataSchema, type VeoqQueues } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/** Download jobs looked at per state and scrape: the prioritized ones come soonest expiry first. */
const JOBS_LOOKED_AT = 50;

/**
 * `veoq_download_url_expiry_seconds{queue="download"}`: seconds until the soonest result URL of a download still
 * waiting (prioritized, waiting or delayed) expires; negative once expired. No series while no
 * download with a known expiry waits. A completed task whose files are not saved before its URLs
 * expire needs a fresh task-result read, or a new render when the provider has dropped it.
 */
export function registerDownloadExpiryMetrics(
  registry: Registry,
  queues: VeoqQueues,
  options: { timeoutMs?: number; now?: () => number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const now = options.now ?? Date.now;
  new Gauge({
    name: "veoq_download_url_expiry_seconds",
    help: "Seconds until the soonest result URL of a waiting download expires (negative: expired)",
    // A label, so that no download waiting means no series (an unlabelled gauge would say 0).
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const soonest = await withTimeout(soonestExpiry(queues), timeoutMs).catch(() => undefined);
      if (soonest !== undefined) this.set({ queue: "download" }, (soonest - now()) / 1000);
    },
  });
}

async function soonestExpiry(queues: VeoqQueues): Promise<number | undefined> {
  const jobs = await queues.download.getJobs(
    ["prioritized", "waiting", "delayed"],
    0,
    JOBS_LOOKED_AT - 1,
    true,
  );
  let soonest: number | undefined;
  for (const job of jobs) {
    const data = downloadJobDataSchema.safeParse(job?.data);
    if (!data.success) continue;
    for (const output of data.data.outputs) {
      if (output.expiresAt !== undefined && (soonest === undefined || output.expiresAt < soonest)) {
        soonest = output.expiresAt;
      }
    }
  }
  return soonest;
}
