import type { KeyLimit } from "./key-limits.ts";

/**
 * Parses `veoq mock --keys`: comma-separated `key[:cap=N][:rpm=N][:credit=N]` entries, e.g.
 * `sim-a:cap=10:rpm=50,sim-b:cap=5,sim-c:cap=5:credit=20`. Returns the keys in order and their
 * limits; throws a RangeError naming the entry and setting.
 */
export function parseKeySpecs(spec: string): {
  apiKeys: string[];
  keyLimits: Record<string, KeyLimit>;
} {
  const apiKeys: string[] = [];
  const keyLimits: Record<string, KeyLimit> = {};
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) throw new RangeError("--keys holds no key");
  for (const entry of entries) {
    const [key = "", ...settings] = entry.split(":");
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(key)) {
      throw new RangeError(`--keys: "${key}" is not a key of letters, digits, . _ -`);
    }
    if (key in keyLimits) throw new RangeError(`--keys names ${key} twice`);
    const limit: KeyLimit = {};
    for (const setting of settings) {
      const match = /^(cap|rpm|credit)=(\d{1,9})$/.exec(setting);
      if (match === null) {
        throw new RangeError(
          `--keys: ${key}: "${setting}" is not cap=N, rpm=N or credit=N (whole numbers)`,
        );
      }
      const value = Number(match[2]);
      if (match[1] === "cap") limit.maxConcurrentTasks = value;
      else if (match[1] === "rpm") limit.createsPerMinute = value;
      else limit.credit = value;
    }
    apiKeys.push(key);
    keyLimits[key] = limit;
  }
  return { apiKeys, keyLimits };
}
