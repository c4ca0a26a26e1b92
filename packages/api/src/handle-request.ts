import { createHash } from "node:crypto";
import type { z } from "zod";
import type { ApiContext } from "./api-context.ts";
import { ApiProblem } from "./api-problem.ts";
import type { ApiResult, ApiRoute } from "./api-route.ts";
import { type ApiCaller, scopeAllows, type TokenAuthenticator } from "./api-tokens.ts";
import type { IdempotencyStore } from "./idempotency-store.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { type ManifestBody, type StagedManifest, stageManifest } from "./stage-manifest.ts";

/** A request as any web framework can give it: matched params, query, headers, body bytes. */
export interface RawRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer>;
}

/** What answering a request needs besides the route. */
export interface RequestPipeline {
  context: ApiContext;
  authenticator: TokenAuthenticator;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
}

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/jsonl", "application/ndjson"]);
const MAX_IDEMPOTENCY_KEY = 255;

/**
 * Answers one request of one route, framework-free: authenticate (401), rate-limit (429),
 * check the scope (403), parse params (404), query (400) and body (400/413/415/422), honour
 * `Idempotency-Key` on POST and PUT (replay, 409, 422), run the handler. Problems come back as
 * results (problem+json); anything else thrown is a 500 the adapter logs.
 */
export async function handleRequest(
  pipeline: RequestPipeline,
  route: ApiRoute,
  raw: RawRequest,
): Promise<ApiResult> {
  let manifest: StagedManifest | undefined;
  try {
    const caller = authenticate(pipeline, raw);
    const wait = pipeline.rateLimiter.take(caller.name);
    if (wait !== undefined) {
      throw new ApiProblem(
        "rate_limited",
        `more than ${pipeline.context.config.apiRateLimit} requests a minute for token ${caller.name}; retry in ${wait} s`,
        {},
        { "retry-after": String(wait) },
      );
    }
    if (!scopeAllows(caller, route.scope)) {
      throw new ApiProblem(
        "forbidden",
        `token ${caller.name} has the read scope; ${route.method.toUpperCase()} ${route.path} needs write`,
      );
    }
    const params = route.params === undefined ? undefined : parseParams(route.params, raw.params);
    const query =
      route.query === undefined
        ? undefined
        : parseFields(route.query, raw.query, "bad_request", "query");
    const read = await readBody(pipeline.context, route, raw);
    manifest = read.manifest;
    const idempotencyKey = headerOf(raw.headers, "idempotency-key");
    const run = () =>
      route.handle({ params, query, body: read.body, caller, manifest }, pipeline.context);
    if (route.method === "get" || idempotencyKey === undefined) return await run();
    if (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
      throw new ApiProblem(
        "bad_request",
        `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} characters`,
      );
    }
    const fingerprint = createHash("sha256")
      .update(
        JSON.stringify([
          route.method,
          route.path,
          raw.params,
          canonicalQuery(raw.query),
          read.bodyHash,
        ]),
      )
      .digest("hex");
    return await idempotent(pipeline.idempotency, caller, idempotencyKey, fingerprint, run);
  } catch (error) {
    if (error instanceof ApiProblem) return problemResult(error);
    throw error;
  } finally {
    await manifest?.dispose();
  }
}

/** A problem as a result: application/problem+json with its headers. */
export function problemResult(problem: ApiProblem): ApiResult {
  return {
    kind: "json",
    status: problem.status,
    body: problem.toJson(),
    contentType: "application/problem+json",
    headers: problem.headers,
  };
}

function authenticate(pipeline: RequestPipeline, raw: RawRequest): ApiCaller {
  const caller = pipeline.authenticator.authenticate(headerOf(raw.headers, "authorization"));
  if (caller !== undefined) return caller;
  throw new ApiProblem(
    "unauthorized",
    "send Authorization: Bearer <token> with a token of VEOQ_API_TOKENS",
    {},
    { "www-authenticate": 'Bearer realm="veoq"' },
  );
}

async function idempotent(
  store: IdempotencyStore,
  caller: ApiCaller,
  key: string,
  fingerprint: string,
  run: () => Promise<ApiResult>,
): Promise<ApiResult> {
  const claim = await store.claim(caller.name, key, fingerprint);
  if (claim.kind === "replay") {
    return {
      kind: "json",
      status: claim.response.status,
      body: claim.response.body,
      ...(claim.response.status >= 400 ? { contentType: "application/problem+json" } : {}),
      headers: { ...claim.response.headers, "idempotent-replayed": "true" },
    };
  }
  if (claim.kind === "in-progress") {
    throw new ApiProblem(
      "idempotency_in_progress",
      "the first request with this Idempotency-Key has not finished; retry later",
      {},
      { "retry-after": "1" },
    );
  }
  if (claim.kind === "mismatch") {
    throw new ApiProblem(
      "idempotency_key_reused",
      "this Idempotency-Key was first used with another method, path, query or body",
    );
  }
  let result: ApiResult;
  try {
    result = await run();
  } catch (error) {
    if (error instanceof ApiProblem && error.status < 500) {
      result = problemResult(error);
    } else {
      await store.release(caller.name, key);
      throw error;
    }
  }
  if (result.kind === "json" && result.status < 500) {
    await store.complete(caller.name, key, fingerprint, {
      status: result.status,
      body: result.body,
      headers: result.headers ?? {},
    });
  } else {
    await store.release(caller.name, key);
  }
  return result;
}

interface ReadBody {
  body: unknown;
  bodyHash: string;
  manifest: StagedManifest | undefined;
}

const EMPTY_HASH = createHash("sha256").digest("hex");

async function readBody(context: ApiContext, route: ApiRoute, raw: RawRequest): Promise<ReadBody> {
  const spec = route.body;
  if (spec === undefined) {
    // Bodies of routes that take none are not read (nor hashed).
    return { body: undefined, bodyHash: EMPTY_HASH, manifest: undefined };
  }
  const type =
    (headerOf(raw.headers, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const stageOptions = {
    imageDir: context.config.apiImageDir,
    prices: context.prices,
  };
  if (spec.kind === "manifest" && NDJSON_TYPES.has(type)) {
    const staged = await stageManifest(
      { kind: "ndjson", chunks: raw.body },
      { ...stageOptions, maxBytes: context.config.apiMaxManifestBytes },
    );
    return { body: undefined, bodyHash: staged.bodyHash, manifest: staged };
  }
  // An optional body may be left out (no Content-Type); otherwise the type is checked first, so
  // a body of another type is never read.
  const optionalEmpty = spec.kind === "json" && spec.optional === true;
  if (type !== "application/json" && !(optionalEmpty && type === "")) {
    throw new ApiProblem(
      "unsupported_media_type",
      spec.kind === "manifest"
        ? "send the manifest as application/x-ndjson, or application/json {items: [...]}"
        : "send application/json",
    );
  }
  const bytes = await readWhole(raw.body, context.config.apiMaxBodyBytes);
  const bodyHash = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length === 0 && optionalEmpty) {
    return {
      body: parseFields(spec.schema, {}, "invalid_request", "body"),
      bodyHash,
      manifest: undefined,
    };
  }
  if (type !== "application/json") {
    throw new ApiProblem("unsupported_media_type", "send application/json");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new ApiProblem("bad_request", `the body is not JSON: ${(error as Error).message}`);
  }
  const body = parseFields(spec.schema, parsed, "invalid_request", "body") as Record<
    string,
    unknown
  >;
  if (spec.kind === "json") return { body, bodyHash, manifest: undefined };
  const { items, ...options } = body as { items: unknown[] };
  const itemsBody: ManifestBody = { kind: "items", items, bodyHash };
  const staged = await stageManifest(itemsBody, {
    ...stageOptions,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
  return { body: options, bodyHash, manifest: staged };
}

async function readWhole(chunks: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > maxBytes) {
      throw new ApiProblem(
        "payload_too_large",
        `the body is larger than ${maxBytes} bytes (VEOQ_API_MAX_BODY_BYTES); send a large manifest as application/x-ndjson`,
      );
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, length);
}

function parseParams(schema: z.ZodType, params: Record<string, string>): unknown {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  throw new ApiProblem("not_found", "no such resource (a path segment is not a valid id)");
}

function parseFields(
  schema: z.ZodType,
  value: unknown,
  kind: "bad_request" | "invalid_request",
  where: string,
): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  throw new ApiProblem(
    kind,
    `the ${where} is invalid: ${errors.map((e) => (e.path === "" ? e.message : `${e.path}: ${e.message}`)).join("; ")}`,
    { errors },
  );
}

function headerOf(headers: RawRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function canonicalQuery(query: Record<string, unknown>): [string, unknown][] {
  return Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
