import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  apiKeyHash,
  ConfigError,
  parseConfig,
  requireApiKey,
  requireApiKeys,
  secretValues,
} from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "veoq-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keysFile(text: string): string {
  const path = join(dir, `keys-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(path, text);
  return path;
}

function problemsOf(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("parseConfig accepted it");
}

describe("the API key pool", () => {
  it("is the one JIEKOU_API_KEY, named by the hash its Redis records always had", () => {
    const config = parseConfig({ JIEKOU_API_KEY: "sk-single-key" });
    expect(config.apiKeys).toEqual([
      {
        name: `key-${apiKeyHash("sk-single-key")}`,
        secret: "sk-single-key",
        rpm: 50,
        maxInFlight: 50,
        dailyBudget: undefined,
        weight: 1,
      },
    ]);
    expect(requireApiKey(config)).toBe("sk-single-key");
    expect(parseConfig({}).apiKeys).toEqual([]);
    expect(() => requireApiKeys(parseConfig({}))).toThrow(/JIEKOU_API_KEY is required/);
  });

  it("reads JIEKOU_API_KEYS as comma-separated keys with the deployment's limits", () => {
    const config = parseConfig({
      JIEKOU_API_KEYS: " sk-aaaa, sk-bbbb ,,sk-cccc",
      VEOQ_PROVIDER_RPM: "30",
      VEOQ_MAX_IN_FLIGHT: "7",
    });
    expect(config.apiKeys.map((k) => [k.name, k.secret, k.rpm, k.maxInFlight])).toEqual([
      [`key-${apiKeyHash("sk-aaaa")}`, "sk-aaaa", 30, 7],
      [`key-${apiKeyHash("sk-bbbb")}`, "sk-bbbb", 30, 7],
      [`key-${apiKeyHash("sk-cccc")}`, "sk-cccc", 30, 7],
    ]);
    expect(secretValues(config)).toEqual(expect.arrayContaining(["sk-aaaa", "sk-bbbb", "sk-cccc"]));
  });

  it("reads JIEKOU_API_KEYS_FILE: names, per-key limits, comments, bare keys", () => {
    const path = keysFile(
      [
        "# production accounts",
        "prod-a=sk-prod-aaaa rpm=50 max_in_flight=10 daily_budget=120.50 weight=2",
        "",
        "  prod-b=sk=with=equals max_in_flight=5",
        "sk-bare-key",
      ].join("\n"),
    );
    const config = parseConfig({ JIEKOU_API_KEYS_FILE: path, VEOQ_PROVIDER_RPM: "40" });
    expect(config.apiKeys).toEqual([
      {
        name: "prod-a",
        secret: "sk-prod-aaaa",
        rpm: 50,
        maxInFlight: 10,
        dailyBudget: 120.5,
        weight: 2,
      },
      {
        name: "prod-b",
        secret: "sk=with=equals",
        rpm: 40,
        maxInFlight: 5,
        dailyBudget: undefined,
        weight: 1,
      },
      {
        name: `key-${apiKeyHash("sk-bare-key")}`,
        secret: "sk-bare-key",
        rpm: 40,
        maxInFlight: 50,
        dailyBudget: undefined,
        weight: 1,
      },
    ]);
    expect(requireApiKeys(config)).toHaveLength(3);
  });

  it("names the line and field of a bad file line, never the key", () => {
    const path = keysFile(
      [
        "a=sk-secret-one rpm=fast",
        "b=sk-secret-two colour=blue",
        "c=sk-secret-three max_in_flight=0",
        "rpm=5 sk-secret-four",
        "bad!name=sk-secret-five",
        "d=sk-secret-six weight=0 ",
      ].join("\n"),
    );
    const message = problemsOf({ JIEKOU_API_KEYS_FILE: path });
    expect(message).toContain("line 1: rpm must be a whole number");
    expect(message).toContain("line 2: a setting is not one of rpm=.., max_in_flight=..");
    expect(message).toContain("line 3: max_in_flight must be a whole number ≥ 1");
    expect(message).toContain("line 4: starts with a setting");
    expect(message).toContain("line 5: the name (before the first =) is not 1-64 characters");
    expect(message).toContain("line 6: weight must be a number > 0");
    expect(message).toContain("JIEKOU_API_KEYS_FILE");
    expect(message).not.toMatch(/sk-secret/);
  });

  it("refuses a name or key given twice, an empty pool and two sources at once", () => {
    expect(problemsOf({ JIEKOU_API_KEYS_FILE: keysFile("a=sk-one-key\na=sk-two-key\n") })).toMatch(
      /JIEKOU_API_KEYS_FILE names the key a twice/,
    );
    const twice = problemsOf({ JIEKOU_API_KEYS: "sk-same-key,sk-same-key" });
    expect(twice).toMatch(/JIEKOU_API_KEYS names the key key-[0-9a-f]{12} twice/);
    expect(twice).not.toContain("sk-same-key");
    expect(problemsOf({ JIEKOU_API_KEYS_FILE: keysFile("# nothing\n\n") })).toMatch(
      /JIEKOU_API_KEYS_FILE holds no key/,
    );
    expect(problemsOf({ JIEKOU_API_KEYS: "sk-one-key, x" })).toMatch(
      /JIEKOU_API_KEYS entry 2: a key must be 4\+ characters/,
    );
    expect(problemsOf({ JIEKOU_API_KEY: "sk-a", JIEKOU_API_KEYS: "sk-b,sk-c" })).toMatch(
      /JIEKOU_API_KEY and JIEKOU_API_KEYS are both set/,
    );
    expect(problemsOf({ JIEKOU_API_KEYS_FILE: join(dir, "missing.txt") })).toMatch(
      /JIEKOU_API_KEYS_FILE names a file that cannot be read \(ENOENT\)/,
    );
  });
});
