import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BatchControl, SpendLedger } from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnRun, type SmallRun, startFinishedRun } from "./small-run.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));
const CREDENTIALS = { username: "ops", password: "browser-test-pass" };

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let browser: BrowserContext;
let userDataDir: string;
/** Another site: serves a page that frames the dashboard. */
let attacker: Server;
let attackerUrl: string;
/** The parts of a `<video>` element the tests read (the DOM types are not in this project). */
interface MediaElement {
  readyState: number;
  duration: number;
  videoWidth: number;
  videoHeight: number;
  error: { message: string } | null;
}
/** A name resolved to 127.0.0.1 by the browser, like a DNS rebinding attack does. */
const REBOUND = "attacker.example";

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  }
  run = await startFinishedRun("browser");
  // Beside the finished batch: one running (queued items, no worker) and one paused by its budget.
  const now = Date.now();
  await run.store.ensureBatch("spring-launch", "spring.jsonl", now - 5_400_000);
  await run.store.registerItems(
    "spring-launch",
    Array.from({ length: 40 }, (_, i) => `s${i}`),
  );
  await run.store.ensureBatch("catalogue-q3", "catalogue.jsonl", now - 900_000);
  await run.store.registerItems("catalogue-q3", ["c1", "c2", "c3"]);
  await new SpendLedger(run.redis, run.config.prefix).setBudget("catalogue-q3", 4_000_000);
  await new BatchControl(run.redis, run.config.prefix).pause("catalogue-q3", "budget", now);
  dashboard = await listenOnRun(run, {
    dailyBudgetMicros: 50_000_000,
    prices: loadPriceTable(undefined),
    credentials: { user: CREDENTIALS.username, password: CREDENTIALS.password },
    stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
    outputDir: run.config.outputDir,
    liveSeconds: 0.2,
  });
  attacker = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<!doctype html><title>attacker</title><iframe id="overview" src="${dashboard.url}/"></iframe><iframe id="board" src="${dashboard.url}/queues"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  const attackerPort = (attacker.address() as import("node:net").AddressInfo).port;
  attackerUrl = `http://${REBOUND}:${attackerPort}/`;
  userDataDir = await mkdtemp(path.join(tmpdir(), "veoq-chromium-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
      // Chromium's Local Network Access checks would stop the rebinding test's page on their
      // own; other browsers have none, so the test proves the dashboard's own defence.
      "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks",
    ],
    httpCredentials: CREDENTIALS,
    viewport: { width: 1280, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await run?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe("dashboard in a browser", () => {
  it("shows the queues, the batch and the failed item's reason; retry re-queues it", async () => {
    const page = await browser.newPage();

    await page.goto(`${dashboard.url}/`);
    const row = page.locator(`table.batches tr[data-batch="${run.batchId}"]`);
    await expect.poll(() => row.count()).toBe(1);
    for (const queue of ["submit", "poll", "download"]) {
      expect(await page.locator(`tr[data-queue="${queue}"]`).isVisible()).toBe(true);
    }
    expect(await row.locator("[data-badge]").textContent()).toBe("finished");
    expect(await row.locator("[data-done]").textContent()).toBe("3/3");
    expect(await row.locator("[data-failed] a").textContent()).toBe("1");
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

    await row.locator(`a[href="/batches/${run.batchId}"]`).click();
    await page.waitForURL(new RegExp(`/batches/${run.batchId}$`));
    const batch = page.locator(`section.batch[data-batch="${run.batchId}"]`);
    expect(await batch.locator('[data-state="completed"] b').textContent()).toBe("2");
    expect(await batch.locator('[data-state="failed"] b').textContent()).toBe("1");
    const failedRow = batch.locator('table.failed tr[data-custom-id="bad-1"]');
    expect(await failedRow.locator(".kind").textContent()).toBe("task_failed");
    expect(await failedRow.locator(".reason").textContent()).toMatch(
      /content policy|invalid input image/,
    );

    await page.screenshot({ path: path.join(ARTIFACTS, "batch-finished.png"), fullPage: true });

    // The failed item's page says why it has no files, and what it cost.
    await failedRow.locator("a.item-link").click();
    await page.waitForURL(/\/items\/bad-1$/);
    expect(await page.locator("[data-item-failure]").textContent()).toContain("task_failed");
    expect(await page.locator("table.timeline").isVisible()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "item-failed.png"), fullPage: true });
    await page.goBack();

    // The failed item's job links to Bull Board, which renders the three queues.
    await failedRow.locator("a.job-link").click();
    await page.waitForURL(/\/queues\/queue\/poll\//);
    await page.getByText(`${run.batchId}~bad-1~p0`).first().waitFor({ timeout: 15_000 });
    await page.goto(`${dashboard.url}/queues`);
    for (const queue of ["submit", "poll", "download"]) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: path.join(ARTIFACTS, "bull-board.png"), fullPage: true });

    // Retry from the overview asks first: bad-1 will fail again (content policy), so nothing
    // is re-queued unless it is included, and then the confirm button names the paid count.
    await page.goto(`${dashboard.url}/batches/${run.batchId}`);
    await page.getByRole("button", { name: "Retry 1 failed…" }).click();
    await page.waitForURL(/\/batches\/[^/]+\/retry\??$/);
    expect(await page.locator(".retry-plan").textContent()).toContain("Nothing to retry");
    expect(await page.locator(".bull-board-note").textContent()).toContain(
      "Bull Board's own Retry button re-runs one job's stage",
    );
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
    await page.locator("a[data-include-permanent]").click();
    await page.waitForURL(/include_permanent=1/);
    expect(await page.locator('tr[data-plan="resubmit"] b').textContent()).toBe("1");
    await page.screenshot({ path: path.join(ARTIFACTS, "retry-summary.png"), fullPage: true });
    await page.getByRole("button", { name: "Re-queue 1 item (1 paid)" }).click();
    await page.waitForURL(/\/batches\/.+\?retried=1/);
    expect(await page.locator(".notice").textContent()).toContain("1 failed item re-queued");
    const after = page.locator(`section.batch[data-batch="${run.batchId}"]`);
    expect(await after.locator('[data-state="failed"] b').textContent()).toBe("0");
    expect(await after.locator('[data-state="queued"] b').textContent()).toBe("1");
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("queued");
  }, 60_000);

  it("plays a completed item's video on its item page, with what it is", async () => {
    const page = await browser.newPage();
    /** The player's reading of the file once its metadata loaded (the manifest asks for 4 s). */
    const metadataOf = async (selector: string) => {
      const video = page.locator(selector).first();
      await video.waitFor();
      await expect
        .poll(() => video.evaluate((v: MediaElement) => v.readyState), { timeout: 15_000 })
        .toBeGreaterThanOrEqual(1);
      return video.evaluate((v: MediaElement) => ({
        duration: v.duration,
        width: v.videoWidth,
        height: v.videoHeight,
        error: v.error?.message ?? null,
      }));
    };
    const expected = { duration: 4, width: 1280, height: 720, error: null };

    for (const customId of ["ok-1", "ok-2"]) {
      await page.goto(`${dashboard.url}/batches/${run.batchId}/items/${customId}`);
      expect(await metadataOf("figure.video video")).toEqual(expected);
      expect(await page.locator("figure.video figcaption").textContent()).toContain(
        "4 s · 1280×720",
      );
    }
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-item.png"), fullPage: true });
  }, 60_000);

  it("Bull Board works under its CSP and nothing is requested from another host", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const violations: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${dashboard.url}/queues`);
    for (const queue of ["submit", "poll", "download"]) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.waitForLoadState("networkidle");
    await page.goto(`${dashboard.url}/`);
    await page.waitForLoadState("networkidle");
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(`${dashboard.url}/`))).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it("another site cannot frame the dashboard or Bull Board", async () => {
    const page = await browser.newPage();
    await page.goto(attackerUrl);
    for (const id of ["overview", "board"]) {
      const frame = await (await page.locator(`iframe#${id}`).elementHandle())?.contentFrame();
      expect(frame, id).toBeTruthy();
      // A refused frame shows Chromium's error page instead of the dashboard.
      expect(frame?.url(), id).not.toMatch(new RegExp(`^${dashboard.url}`));
      expect(await frame?.locator("section.batch, #root").count(), id).toBe(0);
    }
    await page.close();
  }, 60_000);

  it("a page on a rebound name (attacker.example → 127.0.0.1) can neither read nor retry", async () => {
    const page = await browser.newPage();
    const port = new URL(dashboard.url).port;
    const landing = await page.goto(`http://${REBOUND}:${port}/api/batches`);
    expect(landing?.status()).toBe(421);
    // The attack: the page first comes from the attacker's server, then the name resolves to
    // 127.0.0.1 and the page's own same-origin requests reach the dashboard with Host: attacker.example.
    await page.route(`http://${REBOUND}:${port}/`, (route) =>
      route.fulfill({ contentType: "text/html", body: "<!doctype html><title>attacker</title>" }),
    );
    await page.goto(`http://${REBOUND}:${port}/`);
    const answers = await page.evaluate(async (batchId) => {
      const read = await fetch("/api/batches");
      const board = await fetch("/queues/api/queues");
      const retry = await fetch(`/api/batches/${encodeURIComponent(batchId)}/retry`, {
        method: "POST",
      });
      return {
        read: read.status,
        readBody: await read.text(),
        board: board.status,
        retry: retry.status,
      };
    }, run.batchId);
    expect(answers).toMatchObject({ read: 421, board: 421, retry: 421 });
    expect(answers.readBody).not.toContain(run.batchId);
    await page.close();
  }, 60_000);

  it("the batch page lists its items with a state filter and pages, updates them live, and links each item's view", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|error/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${dashboard.url}/batches/${run.batchId}?limit=2`);
    expect(await page.locator("header a", { hasText: "JSON" }).getAttribute("href")).toBe(
      `/api/batches/${run.batchId}`,
    );
    const rows = page.locator("table.items tbody tr");
    const ids = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-custom-id")));
    // After the first test's retry: bad-1 queued, ok-1 and ok-2 completed; two a page.
    expect(await ids()).toEqual(["bad-1", "ok-1"]);
    // Re-queued, bad-1 no longer shows its old failure.
    expect(await page.locator('table.items tr[data-custom-id="bad-1"] .kind').count()).toBe(0);
    expect(await page.locator("[data-items-total]").textContent()).toBe("3");
    const ok1 = page.locator('table.items tr[data-custom-id="ok-1"]');
    expect(await ok1.locator(".prompt").textContent()).toBe("a lighthouse at dusk");
    expect(await ok1.locator("td").nth(3).textContent()).toBe("veo-3.1-generate-img2video");
    expect(await ok1.locator("td").nth(4).textContent()).toBe("4 s");
    expect(await ok1.locator("a.file-link").first().getAttribute("download")).toBe("");
    // The row plays its video too (loaded only when asked: 50 rows, 50 players).
    const thumb = ok1.locator("video.thumb").first();
    expect(await thumb.getAttribute("preload")).toBe("none");
    await thumb.evaluate((v: MediaElement & { preload: string; load(): void }) => {
      v.preload = "metadata";
      v.load();
    });
    await expect
      .poll(() => thumb.evaluate((v: MediaElement) => v.readyState), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await thumb.evaluate((v: MediaElement) => v.duration)).toBe(4);
    await page.screenshot({ path: path.join(ARTIFACTS, "batch-page.png"), fullPage: true });

    await page.getByRole("link", { name: "next ›" }).click();
    await page.waitForURL(/offset=2/);
    expect(await ids()).toEqual(["ok-2"]);

    await page.locator('nav.filter a[data-filter="completed"]').click();
    await page.waitForURL(/state=completed/);
    expect(await ids()).toEqual(["ok-1", "ok-2"]);
    await page.locator('nav.filter a[data-filter="all"]').click();
    await page.waitForURL((url) => !url.search.includes("state="));

    // Live: the item moves on in Redis and the table and counts follow, without a reload.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    // A row that did not change is kept as it is, so a video playing in it plays on.
    await ok1
      .locator("video.thumb")
      .first()
      .evaluate((v: { dataset: Record<string, string> }) => {
        v.dataset.kept = "yes";
      });
    const bad1State = page.locator('table.items tr[data-custom-id="bad-1"] [data-item-state]');
    expect(await bad1State.textContent()).toBe("queued");
    await run.store.transition(run.batchId, "bad-1", "processing");
    await expect.poll(() => bad1State.textContent(), { timeout: 15_000 }).toBe("processing");
    await expect
      .poll(() => page.locator('[data-state="processing"] b').textContent(), { timeout: 15_000 })
      .toBe("1");
    expect(
      await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    expect(Number(await page.locator("table.items").getAttribute("data-updates"))).toBeGreaterThan(
      0,
    );
    expect(await ok1.locator("video.thumb").first().getAttribute("data-kept")).toBe("yes");

    // A custom id opens the item's view (not Bull Board), whose file downloads from the dashboard.
    await ok1.locator("a.item-link").click();
    await page.waitForURL(new RegExp(`/batches/${run.batchId}/items/ok-1$`));
    expect(await page.locator("section.item h2").textContent()).toBe("ok-1");
    expect(await page.locator("section.item .prompt").textContent()).toBe("a lighthouse at dusk");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("figure.file a.file-link").first().click(),
    ]);
    expect(await download.failure()).toBeNull();
    await page.screenshot({ path: path.join(ARTIFACTS, "item-page.png"), fullPage: true });
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it("an operator filters batches, reads a batch's charts, and cancels only after a second step", async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}/`);
    expect(await page.locator("table.batches tbody tr").count()).toBe(3);
    await page.locator('nav.filter a[data-show="paused"]').click();
    await page.waitForURL(/show=paused/);
    const rows = page.locator("table.batches tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-batch")))).toEqual(
      ["catalogue-q3"],
    );
    expect(await rows.first().locator("[data-eta]").textContent()).toBe("no ETA (paused)");
    await page.screenshot({ path: path.join(ARTIFACTS, "overview-paused.png"), fullPage: true });

    await page.goto(`${dashboard.url}/batches/${run.batchId}`);
    expect(await page.locator('figure[data-chart="throughput"] svg rect').count()).toBeGreaterThan(
      0,
    );
    await page
      .locator("section.charts")
      .screenshot({ path: path.join(ARTIFACTS, "batch-charts.png") });

    await page.goto(`${dashboard.url}/batches/spring-launch`);
    await page.screenshot({ path: path.join(ARTIFACTS, "batch-running.png"), fullPage: true });
    await page.locator('a[data-action="cancel"]').click();
    await page.waitForURL(/\/batches\/spring-launch\/cancel$/);
    expect(await page.locator("[data-cancel-queued]").textContent()).toBe("40 queued items");
    await page.screenshot({ path: path.join(ARTIFACTS, "cancel-confirm.png"), fullPage: true });
    expect(
      await new BatchControl(run.redis, run.config.prefix).read("spring-launch"),
    ).toMatchObject({
      state: "running",
    });
    await page.locator("[data-confirm-cancel]").click();
    await page.waitForURL(/\/batches\/spring-launch$/);
    expect(await page.locator('h2 [data-state="finished"]').count()).toBe(1);
    await page.locator('a[data-action="retry-cancelled"]').click();
    await page.waitForURL(/retry-cancelled$/);
    expect(await page.locator('tr[data-plan="submit"] b').textContent()).toBe("40");
    await page.screenshot({ path: path.join(ARTIFACTS, "requeue-cancelled.png"), fullPage: true });
    await page.close();
  }, 60_000);
});
