import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { withTimeout } from "@veoq/metrics";
import { QUEUE_NAMES, QUEUE_ROLES, type QueueRole, type VeoqQueues } from "@veoq/pipeline";
import { type RequestHandler, Router } from "express";
import { redactJobData } from "./redact-job-data.ts";
import type { RedisOutageLog } from "./redis-outage-log.ts";

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
  /**
   * Longest wait for Redis before an API call answers 503 (ms). Default 10000, like the
   * overview: with the dashboard's reconnect-forever connection a command waits for Redis as
   * long as it is away, and Bull Board's page would spin on requests that never end.
   */
  redisTimeoutMs?: number;
  /** Resolves once Redis answers (e.g. a PING); checked before every API call when given. */
  redisAnswers?: () => Promise<unknown>;
  /** Told whether Redis answered, so an outage is logged once. */
  redisOutage?: RedisOutageLog | undefined;
}

/** Bull Board's page links Google Fonts; the dashboard asks nothing of outside hosts. */
const OUTSIDE_STYLESHEET = /<link\b[^>]*href="https?:\/\/[^"]*"[^>]*rel="stylesheet"[^>]*>\s*/gi;

/**
 * Bull Board for the three queues, with job data redacted (no image bytes, no signed URLs), an
 * API that answers 503 within `redisTimeoutMs` while Redis is away, and a page that loads
 * nothing from other hosts (its fonts fall back to the system's).
 */
export function createBullBoardRouter(queues: VeoqQueues, options: BullBoardRouterOptions): Router {
  const readOnly = options.readOnly ?? false;
  const redisTimeoutMs = options.redisTimeoutMs ?? 10_000;
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
  const router = Router();
  router.use(withoutOutsideStylesheets);
  if (options.redisAnswers)
    router.use(
      "/api",
      answerWithinBound(options.redisAnswers, redisTimeoutMs, options.redisOutage),
    );
  router.use(serverAdapter.getRouter() as Router);
  return router;
}

/**
 * Answers an API call 503 (Bull Board's error body) unless Redis answers within `ms`, so
 * Bull Board shows an error instead of waiting on a call that would not end while Redis is away.
 */
function answerWithinBound(
  redisAnswers: () => Promise<unknown>,
  ms: number,
  outage: RedisOutageLog | undefined,
): RequestHandler {
  return async (_request, response, next) => {
    try {
      await withTimeout(redisAnswers(), ms, "redis");
      outage?.ready();
    } catch (error) {
      outage?.error(error);
      response.status(503).json({
        error: { key: "ERRORS.INTERNAL_SERVER_ERROR" },
        message: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    next();
  };
}

/** Drops outside stylesheet links from the pages Bull Board renders (its index.ejs). */
const withoutOutsideStylesheets: RequestHandler = (_request, response, next) => {
  const render = response.render.bind(response);
  response.render = ((view: string, locals?: object) => {
    render(view, locals, (error: Error | null, html?: string) => {
      if (error) {
        next(error);
        return;
      }
      response.send((html ?? "").replace(OUTSIDE_STYLESHEET, ""));
    });
  }) as typeof response.render;
  next();
};

/** Bull Board's page of one job. */
export function bullBoardJobUrl(basePath: string, role: QueueRole, jobId: string): string {
  return `${basePath.replace(/\/$/, "")}/queue/${encodeURIComponent(QUEUE_NAMES[role])}/${encodeURIComponent(jobId)}`;
}
