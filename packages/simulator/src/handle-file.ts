import type { ServerResponse } from "node:http";
import { decideFileAnswer } from "./fault-injection.ts";
import { isFileSignatureValid } from "./file-url-signature.ts";
import { sendError, sendText } from "./http-answers.ts";
import { simulatedFileBytes } from "./simulated-file-bytes.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import { taskPhaseAt } from "./task-timeline.ts";

const FILE_PATH = /^\/files\/([^/]+)\/(\d+)\.mp4$/;

/** Whether a path is a result file path (`/files/<taskId>/<n>.mp4`). */
export function isFilePath(pathname: string): boolean {
  return FILE_PATH.test(pathname);
}

/** `GET /files/<taskId>/<n>.mp4?expires=<ms>&sig=<hmac>`: the video, if the link is valid. */
export function handleFile(ctx: SimulatorContext, url: URL, res: ServerResponse): void {
  const { stats, store } = ctx;
  stats.countDownload();
  const match = FILE_PATH.exec(url.pathname);
  const taskId = decodeURIComponent(match?.[1] ?? "");
  const index = Number(match?.[2] ?? "-1");
  const expires = Number(url.searchParams.get("expires") ?? "");
  const sig = url.searchParams.get("sig") ?? "";
  if (
    !Number.isFinite(expires) ||
    !isFileSignatureValid(ctx.fileSecret, taskId, index, expires, sig)
  ) {
    sendError(res, 403, "invalid signature", stats);
    return;
  }
  const nowMs = ctx.options.clock();
  if (nowMs > expires) {
    stats.countExpiredDownload();
    sendError(res, 403, "url expired", stats);
    return;
  }
  const task = store.get(taskId);
  if (
    task === undefined ||
    index >= task.sampleCount ||
    taskPhaseAt(task, nowMs).status !== "SUCCEED"
  ) {
    sendError(res, 404, "file not found", stats);
    return;
  }
  const answer = decideFileAnswer(ctx.prng, ctx.faults);
  if (answer === "busy") {
    sendError(res, 503, "file storage busy, please retry", stats);
    return;
  }
  if (answer === "html") {
    const html =
      "<!doctype html><html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    sendText(res, 200, html, "text/html; charset=utf-8", stats);
    return;
  }
  const bytes = simulatedFileBytes(taskId, index, task.video, ctx.options.fileSizeBytes);
  const cut = ctx.faults.truncatedFileBytes;
  sendText(res, 200, cut > 0 ? bytes.subarray(0, cut) : bytes, "video/mp4", stats);
}
