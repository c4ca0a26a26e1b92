import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { QUEUE_NAMES, QUEUE_ROLES, type QueueRole, type VeoqQueues } from "@veoq/pipeline";
import type { Router } from "express";
import { redactJobData } from "./redact-job-data.ts";

const DESCRIPTIONS: Record<QueueRole, string> = {
  submit: "create requests to the provider (one job per item and submission)",
  poll: "task-result polls (one job per provider task, re-delayed until final)",
  download: "saving result files (one job per finished task)",
};

export interface BullBoardRouterOptions {
  /** Where the router is mounted, e.g. "/queues". */
  basePath: string;
  /** Hide and refuse every mutating action (Bull Board's readOnlyMode). Default false. */
  readOnly?: boolean;
  /** Link back to the batch overview shown in Bull Board's header. Default "/". */
  overviewUrl?: string;
}

/** Bull Board for the three queues, with job data redacted (no image bytes, no signed URLs). */
export function createBullBoardRouter(queues: VeoqQueues, options: BullBoardRouterOptions): Router {
  const readOnly = options.readOnly ?? false;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  const adapters = QUEUE_ROLES.map((role) => {
    const adapter = new BullMQAdapter(queues[role], {
      readOnlyMode: readOnly,
      allowRetries: !readOnly,
      description: DESCRIPTIONS[role],
    });
    adapter.setFormatter("data", (data: unknown) => redactJobData(data));
    adapter.setFormatter("returnValue", (value: unknown) => redactJobData(value));
    return adapter;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "veoq queues",
        miscLinks: [{ text: "Batch overview", url: options.overviewUrl ?? "/" }],
        hideDocsLink: true,
      },
    },
  });
  return serverAdapter.getRouter() as Router;
}

/** Bull Board's page of one job. */
export function bullBoardJobUrl(basePath: string, role: QueueRole, jobId: string): string {
  return `${basePath.replace(/\/$/, "")}/queue/${encodeURIComponent(QUEUE_NAMES[role])}/${encodeURIComponent(jobId)}`;
}
