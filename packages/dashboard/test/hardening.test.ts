import { request as httpRequest } from "node:http";
import { checkWithPromtool } from "@veoq/metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allowedHostsFor } from "../src/index.ts";
import { basicAuth, listenOnRun, type SmallRun, startFinishedRun } from "./small-run.ts";

const AUTH = basicAuth("ops", "hardening-pass");
let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };

beforeAll(async () => {
  run = await startFinishedRun("hardening");
  dashboard = await listenOnRun(run, {
    credentials: { user: "ops", password: "hardening-pass" },
    allowedHosts: allowedHostsFor("127.0.0.1", ["dash.example"]),
  });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await run?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function send(path: string, headers: Record<string, string>, method = "GET"): Promise<RawResponse> {
  const url = new URL(path, dashboard.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on("error", reject);
    request.end();
  });
}

const local = () => ({ host: new URL(dashboard.url).host, authorization: AUTH });

async function bullBoardAsset(): Promise<string> {
  const page = await send("/queues", local());
  const src = /<script defer src="([^"]+)"/.exec(page.body)?.[1];
  if (!src) throw new Error("no script in Bull Board's page");
  return `/queues/${src}`;
}

describe("every response forbids framing and sniffing", () => {
  it("pages, JSON, refusals, probes, Bull Board's page, assets and API", async () => {
    const responses: [string, RawResponse][] = [];
    for (const path of ["/", "/api/batches", "/batches/nope", "/api/batches/nope", "/queues"]) {
      responses.push([path, await send(path, local())]);
    }
    responses.push(["asset", await send(await bullBoardAsset(), local())]);
    responses.push(["/queues/api/queues", await send("/queues/api/queues", local())]);
    responses.push(["/healthz", await send("/healthz", { host: "10.0.0.7:3000" })]);
    responses.push(["401", await send("/", { host: local().host })]);
    responses.push(["421", await send("/", { host: "attacker.example", authorization: AUTH })]);
    for (const [what, response] of responses) {
      expect(response.headers["x-frame-options"], what).toBe("DENY");
      expect(response.headers["content-security-policy"], what).toContain("frame-ancestors 'none'");
      expect(response.headers["x-content-type-options"], what).toBe("nosniff");
    }
    expect(responses.find(([what]) => what === "asset")?.[1].status).toBe(200);
    expect(responses.find(([what]) => what === "/queues/api/queues")?.[1].status).toBe(200);
  });

  it("gives the dashboard's pages a CSP with scripts from this origin only, none inline", async () => {
    const page = await send("/", local());
    const csp = String(page.headers["content-security-policy"] ?? "");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|\*)/);
    const batch = await send(`/batches/${run.batchId}`, local());
    expect(batch.body).toContain('<script defer src="/assets/batch-page.js"></script>');
    expect(batch.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const script = await send("/assets/batch-page.js", local());
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toMatch(/^text\/javascript/);
  });
});

describe("Host allow-list (DNS rebinding)", () => {
  it("refuses a Host that is not the dashboard's, on every route, with 421", async () => {
    for (const host of ["attacker.example", "attacker.example:3000", "127.0.0.1.nip.io"]) {
      for (const path of ["/", "/api/batches", "/queues", "/queues/api/queues", "/metrics"]) {
        const response = await send(path, { host, authorization: AUTH });
        expect(response.status, `${host} ${path}`).toBe(421);
        expect(response.body).toContain("DASHBOARD_ALLOWED_HOSTS");
        expect(response.body).not.toContain(run.batchId);
      }
    }
    const retry = await send(
      `/api/batches/${run.batchId}/retry`,
      { host: "attacker.example", authorization: AUTH, "sec-fetch-site": "same-origin" },
      "POST",
    );
    expect(retry.status).toBe(421);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
  });

  it("answers loopback names, the bound host and DASHBOARD_ALLOWED_HOSTS names", async () => {
    const port = new URL(dashboard.url).port;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "DASH.example",
    ]) {
      const response = await send("/api/batches", { host, authorization: AUTH });
      expect(response.status, host).toBe(200);
    }
  });
});

describe("same-origin guard", () => {
  it("refuses Origin: null and an Origin that does not match Host", async () => {
    for (const origin of ["null", "http://attacker.example", "http://dash.example"]) {
      const response = await send(
        `/api/batches/${run.batchId}/retry`,
        { ...local(), origin },
        "POST",
      );
      expect(response.status, origin).toBe(403);
    }
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
  });
});

describe("probes and /metrics", () => {
  it("/healthz and /readyz answer without credentials or a known Host, naming no host", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const response = await send(path, { host: "10.0.0.7:3000" });
      expect(response.status, path).toBe(200);
      expect(response.body, path).toMatch(/^(ok|ready)\n$/);
    }
    expect((await send("/metrics", { host: local().host })).status).toBe(401);
  });

  it("/metrics passes promtool check metrics", async () => {
    const metrics = await send("/metrics", local());
    expect(metrics.status).toBe(200);
    const verdict = await checkWithPromtool(metrics.body);
    expect(verdict.problems).toBe("");
    expect(verdict.ok).toBe(true);
  }, 30_000); // promtool's start alone can pass 5 s on a loaded 2-core machine
});

describe("no outside hosts", () => {
  it("Bull Board's page links nothing outside the dashboard (no Google Fonts)", async () => {
    const page = await send("/queues", local());
    expect(page.status).toBe(200);
    expect(page.body).toContain("static/js/");
    expect(page.body).not.toMatch(/(href|src)="(https?:)?\/\//);
  });
});

describe("malformed paths", () => {
  it("answers a malformed %-escape in a path with 400 and no stack trace (HTML and JSON)", async () => {
    for (const path of ["/batches/%E0%A4%A", "/api/batches/%zz", "/batches/x/items/%"]) {
      const response = await send(path, local());
      expect(response.status, path).toBe(400);
      expect(response.body, path).not.toMatch(/URIError|at decode|node_modules|\n\s+at /);
      expect(response.body, path).toMatch(/malformed|escape/i);
    }
  });
});
