import { BatchControl } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDashboardApp,
  createDashboardRoutes,
  type DashboardRequest,
  type DashboardRoute,
} from "../src/index.ts";
import { listen, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let routes: DashboardRoute[];
const BATCH = "table";

beforeAll(async () => {
  run = await startSmallRun("routes");
  await run.store.ensureBatch(BATCH, "m.jsonl", Date.now());
  await run.store.registerItems(BATCH, ["a", "b"]);
  routes = createDashboardRoutes({ queues: run.queues, store: run.store, refreshSeconds: 0 });
}, 60_000);

afterAll(async () => {
  await run?.close();
});

const request = (params: Record<string, string>, extra: Partial<DashboardRequest> = {}) => ({
  params,
  query: {},
  body: undefined,
  url: "/",
  ...extra,
});
const route = (method: "GET" | "POST", path: string) => {
  const found = routes.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no route ${method} ${path}`);
  return found;
};

describe("the dashboard's routes: one table over framework-free endpoints", () => {
  it("declares every page and API route once, the probes open", () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of [
      "GET /healthz",
      "GET /readyz",
      "GET /metrics",
      "GET /",
      "GET /batches/:id",
      "GET /batches/:id/items/:customId",
      "GET /batches/:id/items/:customId/files/:index",
      "GET /batches/:id/retry",
      "POST /batches/:id/retry",
      "POST /batches/:id/pause",
      "POST /batches/:id/resume",
      "POST /batches/:id/cancel",
      "POST /api/batches/:id/pause",
      "GET /search",
      "GET /api/batches",
      "GET /api/batches/:id",
      "GET /api/batches/:id/items",
      "GET /api/batches/:id/retry-plan",
      "POST /api/batches/:id/retry",
      "GET /api/search",
    ]) {
      expect(keys).toContain(key);
    }
    expect(routes.filter((r) => r.open).map((r) => r.path)).toEqual(["/healthz", "/readyz"]);
  });

  it("answers plain request data with a status and a body or HTML, without express", async () => {
    expect(await route("GET", "/healthz").handler(request({}))).toEqual({
      status: 200,
      text: "ok\n",
      contentType: "text/plain",
    });
    const json = await route("GET", "/api/batches/:id").handler(request({ id: BATCH }));
    expect(json.status).toBe(200);
    expect(json).toMatchObject({ body: { batch_id: BATCH, total: 2 } });
    const page = await route("GET", "/batches/:id").handler(request({ id: BATCH }));
    expect(page.status).toBe(200);
    expect("html" in page && page.html).toContain('data-custom-id="a"');
    const missing = await route("GET", "/api/batches/:id").handler(request({ id: "nope" }));
    expect(missing).toEqual({ status: 404, body: { error: "no batch nope" } });
    // A retry post without the summary's agreed paid count is sent to the summary first.
    expect(
      await route("POST", "/batches/:id/retry").handler(request({ id: BATCH }, { body: {} })),
    ).toEqual({ status: 303, redirect: `/batches/${BATCH}/retry` });
  });

  it("guards every POST of the table: a cross-site post and a read-only dashboard change nothing", async () => {
    const options = { queues: run.queues, store: run.store, refreshSeconds: 0 };
    const writable = await listen(createDashboardApp(options));
    const readOnly = await listen(createDashboardApp({ ...options, readOnly: true }));
    try {
      const posts = routes.filter((r) => r.method === "POST");
      expect(posts.length).toBeGreaterThanOrEqual(14);
      for (const { path } of posts) {
        const url = path.replace(":id", BATCH);
        const body = new URLSearchParams({
          confirm: "1",
          budget: "1",
          max_resubmits: "0",
          max_submits: "0",
        });
        const crossSite = await fetch(`${writable.url}${url}`, {
          method: "POST",
          redirect: "manual",
          headers: { origin: "https://evil.example" },
          body,
        });
        expect(crossSite.status, `cross-site ${url}`).toBe(403);
        const refused = await fetch(`${readOnly.url}${url}`, {
          method: "POST",
          redirect: "manual",
          body,
        });
        expect(refused.status, `read-only ${url}`).toBe(403);
      }
      expect((await new BatchControl(run.redis, run.config.prefix).read(BATCH)).state).toBe(
        "running",
      );
      expect(await run.store.itemState(BATCH, "a")).toBe("queued");
    } finally {
      await writable.close();
      await readOnly.close();
    }
  });
});
