import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp } from "../src/index.ts";
import { listen, type SmallRun, startSmallRun } from "./small-run.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));
const CREDENTIALS = { username: "ops", password: "browser-test-pass" };

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let browser: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  }
  run = await startSmallRun("browser");
  await run.runBatch();
  // Workers stop so the re-queued item stays visible as queued after the retry.
  await run.stopWorkers();
  dashboard = await listen(
    createDashboardApp({
      queues: run.queues,
      store: run.store,
      credentials: { user: CREDENTIALS.username, password: CREDENTIALS.password },
      stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
      refreshSeconds: 0,
    }),
  );
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
    ],
    httpCredentials: CREDENTIALS,
    viewport: { width: 1280, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await run?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe("dashboard in a browser", () => {
  it("shows the queues, the batch and the failed item's reason; retry re-queues it", async () => {
    const page = await browser.newPage();

    await page.goto(`${dashboard.url}/`);
    const batch = page.locator(`section.batch[data-batch="${run.batchId}"]`);
    await expect.poll(() => batch.count()).toBe(1);
    for (const queue of ["submit", "poll", "download"]) {
      expect(await page.locator(`tr[data-queue="${queue}"]`).isVisible()).toBe(true);
    }
    expect(await batch.locator('[data-state="completed"] b').textContent()).toBe("2");
    expect(await batch.locator('[data-state="failed"] b').textContent()).toBe("1");
    const failedRow = batch.locator('table.failed tr[data-custom-id="bad-1"]');
    expect(await failedRow.locator(".kind").textContent()).toBe("task_failed");
    expect(await failedRow.locator(".reason").textContent()).toMatch(
      /content policy|invalid input image/,
    );
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

    // The failed item links to its job in Bull Board, which renders the three queues.
    await failedRow.locator("a").first().click();
    await page.waitForURL(/\/queues\/queue\/poll\//);
    await page.getByText(`${run.batchId}~bad-1~p0`).first().waitFor({ timeout: 15_000 });
    await page.goto(`${dashboard.url}/queues`);
    for (const queue of ["submit", "poll", "download"]) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: path.join(ARTIFACTS, "bull-board.png"), fullPage: true });

    // Retry from the overview: the item leaves "failed".
    await page.goto(`${dashboard.url}/`);
    await page.getByRole("button", { name: "Retry 1 failed" }).click();
    await page.waitForURL(/\/batches\/.+\?retried=1/);
    expect(await page.locator(".notice").textContent()).toContain("1 failed item re-queued");
    const after = page.locator(`section.batch[data-batch="${run.batchId}"]`);
    expect(await after.locator('[data-state="failed"] b').textContent()).toBe("0");
    expect(await after.locator('[data-state="queued"] b').textContent()).toBe("1");
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("queued");
  }, 60_000);
});
