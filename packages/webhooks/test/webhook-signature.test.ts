import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
} from "../src/index.ts";

const secret = `whsec_${randomBytes(24).toString("base64")}`;
const body = JSON.stringify({
  type: "batch.completed",
  timestamp: "2026-01-01T00:00:00.000Z",
  data: { batch_id: "b1", note: "é ✓" },
});

describe("webhook signatures (Standard Webhooks)", () => {
  it("are accepted by the standardwebhooks package", () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret, { id: "msg_1", timestamp, body });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("verify what the standardwebhooks package signs", () => {
    const at = new Date();
    const signature = new Webhook(secret).sign("msg_2", at, body);
    expect(signature).toBe(
      signWebhook(secret, { id: "msg_2", timestamp: Math.floor(at.getTime() / 1000), body }),
    );
    const headers = {
      "webhook-id": "msg_2",
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": `v1,bm90IGl0 ${signature}`, // several signatures: any may match
    };
    expect(verifyWebhook(headers, body, secret)).toEqual(JSON.parse(body));
    expect(verifyWebhook(new Headers(headers), Buffer.from(body), secret)).toEqual(
      JSON.parse(body),
    );
  });

  it("refuse a changed body, another secret, an old timestamp and missing headers", () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret, { id: "msg_3", timestamp, body });
    expect(() => verifyWebhook(headers, `${body} `, secret)).toThrow(WebhookVerificationError);
    const other = `whsec_${randomBytes(24).toString("base64")}`;
    expect(() => verifyWebhook(headers, body, other)).toThrow(/no webhook-signature matches/);
    const old = webhookHeaders(secret, { id: "msg_3", timestamp: timestamp - 3600, body });
    expect(() => verifyWebhook(old, body, secret)).toThrow(/too far from now/);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(); // the package agrees
    expect(() => verifyWebhook({ "webhook-id": "x" }, body, secret)).toThrow(/missing/);
  });
});
