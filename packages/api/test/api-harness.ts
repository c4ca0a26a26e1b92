import { VeoqClient } from "@veoq/client";
import { createLogger } from "@veoq/logging";
import { createHarness, type Harness, TINY_PNG } from "../../pipeline/test/pipeline-harness.ts";
import { type RunningApi, startApi } from "../src/index.ts";

/** Tokens of the test API: one that writes, one that only reads. */
export const WRITE_TOKEN = "w-0123456789abcdef0123456789abcdef";
export const READ_TOKEN = "r-0123456789abcdef0123456789abcdef";

/** An inline PNG: API callers send images as data URIs or URLs, not local paths. */
export const PNG_DATA_URI = `data:image/png;base64,${TINY_PNG.toString("base64")}`;

/** A valid img2video line with an inline image; `[sim:fail]` in the prompt fails it for good. */
export function apiLine(customId: string, prompt = `an api test video ${customId}`) {
  return {
    custom_id: customId,
    model: "veo-3.1-generate-img2video",
    input: { prompt, image: PNG_DATA_URI, generate_audio: false },
  };
}

/** One exchange with the API as seen on the wire (the OpenAPI test validates every one). */
export interface SeenResponse {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

export interface ApiHarness {
  pipeline: Harness;
  api: RunningApi;
  client: VeoqClient;
  readClient: VeoqClient;
  /** fetch to the API that records what it answered. */
  fetch: typeof fetch;
  seen: SeenResponse[];
  close(): Promise<void>;
}

/** The pipeline harness (own prefix, simulator, workers) with the API in front of it. */
export async function createApiHarness(env: Record<string, string> = {}): Promise<ApiHarness> {
  const pipeline = await createHarness({
    env: {
      VEOQ_API_TOKENS: `writer=${WRITE_TOKEN}:write,reader=${READ_TOKEN}:read`,
      ...env,
    },
  });
  const api = await startApi({
    config: pipeline.config,
    logger: createLogger({ level: "silent" }),
    host: "127.0.0.1",
    port: 0,
  });
  const seen: SeenResponse[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, { redirect: "manual", ...init });
    const url = new URL(String(input instanceof Request ? input.url : input));
    const contentType = response.headers.get("content-type") ?? "";
    if (contentType.includes("json")) {
      const body = await response.clone().text();
      seen.push({
        method: (init?.method ?? "GET").toLowerCase(),
        path: url.pathname,
        status: response.status,
        contentType: contentType.split(";")[0] ?? "",
        body,
      });
    }
    return response;
  };
  return {
    pipeline,
    api,
    fetch: recording,
    seen,
    client: new VeoqClient({
      baseUrl: api.url,
      token: WRITE_TOKEN,
      fetch: recording,
      retryDelayMs: 50,
    }),
    readClient: new VeoqClient({ baseUrl: api.url, token: READ_TOKEN, fetch: recording }),
    async close() {
      await api.close();
      await pipeline.close();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field, and against the OpenAPI document
export type Json = any;
/** A response's JSON body, for field-by-field checks. */
export const jsonOf = async (response: Response): Promise<Json> => response.json();
