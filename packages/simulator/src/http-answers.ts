import type { IncomingMessage, ServerResponse } from "node:http";
import type { StatsCollector } from "./simulator-stats.ts";

/** Where answers are counted: API and file answers count, `/__sim/*` answers do not. */
export type AnswerCounter = Pick<StatsCollector, "countResponse"> | undefined;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  counter: AnswerCounter,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON.stringify(body), "application/json", counter, headers);
}

/** The provider's error shape: `{"code": <status>, "message": "..."}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  counter: AnswerCounter,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { code: status, message }, counter, headers);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string | Buffer,
  contentType: string,
  counter: AnswerCounter,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const body = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  counter?.countResponse(String(status));
  res.writeHead(status, {
    ...headers,
    "Content-Type": contentType,
    "Content-Length": String(body.length),
  });
  res.end(body);
}

/** Destroy the connection without answering. */
export function dropConnection(req: IncomingMessage, counter: AnswerCounter): void {
  counter?.countResponse("dropped");
  req.socket.destroy();
}

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: "too-large" };

/** Read a request body up to `maxBytes` (the rest is drained and discarded). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => {
      resolve(
        tooLarge ? { ok: false, reason: "too-large" } : { ok: true, body: Buffer.concat(chunks) },
      );
    });
    req.on("error", reject);
  });
}
