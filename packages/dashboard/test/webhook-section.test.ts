import { recordKeys } from "@veoq/pipeline";
import { DeliveryLog } from "@veoq/webhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnRun, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
const BATCH = "hooked";

beforeAll(async () => {
  run = await startSmallRun("webhooks");
  await run.store.ensureBatch(BATCH, "m.jsonl", Date.now());
  await run.store.registerItems(BATCH, ["a"]);
  await run.store.ensureBatch("quiet", "m.jsonl", Date.now());
  await new DeliveryLog(run.redis, recordKeys(run.config.prefix)).create({
    delivery_id: `${BATCH}~e1~0123456789ab`,
    webhook_id: "msg_abc",
    event_id: `${BATCH}~e1`,
    type: "item.failed",
    batch_id: BATCH,
    custom_id: "a",
    url: "https://hooks.example/veoq?token=receiver-secret",
    state: "retrying",
    created_at: "2026-01-01T00:00:00.000Z",
    replays: 0,
    attempts: [
      {
        at: "2026-01-01T00:00:01.000Z",
        status: 503,
        error: null,
        duration_ms: 12,
        next_attempt_at: "2026-01-01T00:05:01.000Z",
      },
    ],
    body: "{}",
  });
  dashboard = await listenOnRun(run, {
    stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
  });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  // The batches' own keys sit under their spread tags ({<bare prefix>:b:<batch>}).
  const spread = await run?.redis.keys(`{${run.config.prefix.replace(/[{}]/g, "")}:*`);
  if (spread !== undefined && spread.length > 0)
    await Promise.all(spread.map((k) => run.redis.del(k)));
  await run?.close();
});

describe("the batch page's webhook section", () => {
  it("lists each delivery with its state, tries and next try, never the URL's query", async () => {
    const html = await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain("<h2>Webhooks</h2>");
    expect(html).toContain(`data-delivery-id="${BATCH}~e1~0123456789ab"`);
    expect(html).toContain("https://hooks.example/veoq</td>");
    expect(html).toContain(">retrying</td>");
    expect(html).toContain(">503</span>");
    expect(html).toContain("2026-01-01 00:05:01");
    expect(html).not.toContain("receiver-secret");
  });

  it("is absent for a batch without webhooks", async () => {
    const html = await (await fetch(`${dashboard.url}/batches/quiet`)).text();
    expect(html).not.toContain("<h2>Webhooks</h2>");
  });
});
