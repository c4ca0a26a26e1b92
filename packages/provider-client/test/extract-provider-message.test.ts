import { describe, expect, it } from "vitest";
import {
  extractProviderMessage,
  MAX_PROVIDER_MESSAGE_CHARS,
} from "../src/extract-provider-message.ts";

const KEY = "sk-secret-123";

describe("extractProviderMessage", () => {
  it("picks the usual JSON message fields", () => {
    expect(extractProviderMessage('{"code":400,"message":"prompt is required"}', KEY)).toBe(
      "prompt is required",
    );
    expect(extractProviderMessage('{"msg":"bad seed"}', KEY)).toBe("bad seed");
    expect(extractProviderMessage('{"error":{"message":"nested"}}', KEY)).toBe("nested");
    expect(extractProviderMessage('{"error":"plain"}', KEY)).toBe("plain");
  });

  it("falls back to the raw text, on one line", () => {
    expect(extractProviderMessage("Bad\n  Gateway", KEY)).toBe("Bad Gateway");
    expect(extractProviderMessage('{"other":1}', KEY)).toBe('{"other":1}');
  });

  it("gives undefined for an empty or missing body", () => {
    expect(extractProviderMessage(undefined, KEY)).toBeUndefined();
    expect(extractProviderMessage("  ", KEY)).toBeUndefined();
  });

  it("redacts the key and truncates", () => {
    const message = extractProviderMessage(`{"message":"invalid key ${KEY}"}`, KEY);
    expect(message).toBe("invalid key [redacted]");
    const long = extractProviderMessage("x".repeat(5000), KEY);
    expect(long?.length).toBe(MAX_PROVIDER_MESSAGE_CHARS);
  });
});
