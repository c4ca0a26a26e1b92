import { createHash } from "node:crypto";

/**
 * The pool of provider API keys: JIEKOU_API_KEY (one key), JIEKOU_API_KEYS (comma-separated keys)
 * or JIEKOU_API_KEYS_FILE (one key a line, optionally `name=key rpm=.. max_in_flight=..
 * daily_budget=.. weight=..`). Set one of the three.
 *
 * A key is known everywhere (logs, Redis, errors, pages, metrics) by its `name`: the one given in
 * the file, else `key-` and a short hash of the key. The key itself is only in `secret`; a
 * message about a key names its line or entry and never quotes it.
 */
export interface ApiKeyEntry {
  /** What logs, Redis keys, metrics and pages call this key; never the key itself. */
  name: string;
  /** The API key (a secret: never logged, stored or shown). */
  secret: string;
  /** Creates per minute on this key; default VEOQ_PROVIDER_RPM. */
  rpm: number;
  /** Most tasks in flight on this key; default VEOQ_MAX_IN_FLIGHT. */
  maxInFlight: number;
  /** Most money spent on creates per UTC day on this key (price table currency); unset: none. */
  dailyBudget: number | undefined;
  /** Share of the creates against the others when capacity is equal; default 1. */
  weight: number;
}

export interface KeyPoolProblem {
  env: string;
  message: string;
}

/** Defaults a key takes for the limits its line does not set. */
export interface KeyDefaults {
  rpm: number;
  maxInFlight: number;
}

/**
 * The short hash a key without a name is known by: the first 12 hex digits of its SHA-256 (the
 * same account id the single key's Redis records always had), so one key keeps its records.
 */
export function apiKeyHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 12);
}

/** The name an unnamed key is known by. */
export function unnamedKeyName(secret: string): string {
  return `key-${apiKeyHash(secret)}`;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_KEY_LENGTH = 4;
const FIELDS = ["rpm", "max_in_flight", "daily_budget", "weight"] as const;
type FieldName = (typeof FIELDS)[number];

/**
 * Builds the pool from the three variables (raw strings; the file's text already read). Returns
 * the keys in the order given, or the problems, each naming its variable and line or entry.
 */
export function buildKeyPool(
  sources: {
    single: string | undefined;
    list: string | undefined;
    file: { path: string; text: string } | undefined;
  },
  defaults: KeyDefaults,
): { keys: ApiKeyEntry[] } | { problems: KeyPoolProblem[] } {
  const set = [
    sources.single !== undefined ? "JIEKOU_API_KEY" : undefined,
    sources.list !== undefined ? "JIEKOU_API_KEYS" : undefined,
    sources.file !== undefined ? "JIEKOU_API_KEYS_FILE" : undefined,
  ].filter((v): v is string => v !== undefined);
  if (set.length > 1) {
    return {
      problems: [
        {
          env: set.join(" and "),
          message:
            "are both set: set one of JIEKOU_API_KEY, JIEKOU_API_KEYS or JIEKOU_API_KEYS_FILE",
        },
      ],
    };
  }
  if (set.length === 0) return { keys: [] };
  if (sources.single !== undefined) {
    return { keys: [plainKey(sources.single, defaults)] };
  }
  const problems: KeyPoolProblem[] = [];
  const keys: ApiKeyEntry[] = [];
  if (sources.list !== undefined) {
    const env = "JIEKOU_API_KEYS";
    sources.list.split(",").forEach((raw, index) => {
      const secret = raw.trim();
      if (secret === "") return;
      const where = `entry ${index + 1}`;
      if (secret.length < MIN_KEY_LENGTH || /\s/.test(secret)) {
        problems.push({
          env,
          message: `${where}: a key must be ${MIN_KEY_LENGTH}+ characters without spaces`,
        });
        return;
      }
      keys.push(plainKey(secret, defaults));
    });
  }
  if (sources.file !== undefined) {
    const env = `JIEKOU_API_KEYS_FILE (${sources.file.path})`;
    sources.file.text.split(/\r?\n/).forEach((line, index) => {
      const parsed = parseKeyLine(line, defaults);
      if (parsed === undefined) return;
      if ("problem" in parsed)
        problems.push({ env, message: `line ${index + 1}: ${parsed.problem}` });
      else keys.push(parsed.key);
    });
  }
  const env = sources.file !== undefined ? "JIEKOU_API_KEYS_FILE" : "JIEKOU_API_KEYS";
  const names = new Set<string>();
  const secrets = new Set<string>();
  for (const key of keys) {
    if (names.has(key.name)) problems.push({ env, message: `names the key ${key.name} twice` });
    else if (secrets.has(key.secret)) {
      problems.push({ env, message: `holds the same key twice (the second one is ${key.name})` });
    }
    names.add(key.name);
    secrets.add(key.secret);
  }
  if (problems.length === 0 && keys.length === 0) {
    problems.push({ env, message: "holds no key" });
  }
  return problems.length > 0 ? { problems } : { keys };
}

function plainKey(secret: string, defaults: KeyDefaults): ApiKeyEntry {
  return {
    name: unnamedKeyName(secret),
    secret,
    rpm: defaults.rpm,
    maxInFlight: defaults.maxInFlight,
    dailyBudget: undefined,
    weight: 1,
  };
}

/**
 * One line of the keys file: blank or `#` comment (undefined), a bare key, or `name=key` and
 * `field=value` settings separated by spaces. A key holding "=" must be written as `name=key`.
 */
function parseKeyLine(
  line: string,
  defaults: KeyDefaults,
): { key: ApiKeyEntry } | { problem: string } | undefined {
  const tokens = line.trim().split(/\s+/);
  const first = tokens[0] ?? "";
  if (first === "" || first.startsWith("#")) return undefined;
  const eq = first.indexOf("=");
  if (eq > 0 && (FIELDS as readonly string[]).includes(first.slice(0, eq))) {
    return { problem: "starts with a setting: the key (or name=key) comes first" };
  }
  const named = eq > 0;
  const secret = named ? first.slice(eq + 1) : first;
  if (named && !NAME.test(first.slice(0, eq))) {
    return { problem: "the name (before the first =) is not 1-64 characters of A-Z a-z 0-9 . _ -" };
  }
  if (secret.length < MIN_KEY_LENGTH) {
    return {
      problem: `the key is shorter than ${MIN_KEY_LENGTH} characters (a key holding "=" must be written as name=key)`,
    };
  }
  const key = plainKey(secret, defaults);
  if (named) key.name = first.slice(0, eq);
  const seen = new Set<string>();
  for (const token of tokens.slice(1)) {
    const at = token.indexOf("=");
    const field = token.slice(0, Math.max(0, at)) as FieldName;
    const value = token.slice(at + 1);
    if (at < 1 || !(FIELDS as readonly string[]).includes(field)) {
      return {
        problem: `a setting is not one of ${FIELDS.map((f) => `${f}=..`).join(", ")}`,
      };
    }
    if (seen.has(field)) return { problem: `sets ${field} twice` };
    seen.add(field);
    const problem = applyField(key, field, value);
    if (problem !== undefined) return { problem: `${field} ${problem}` };
  }
  return { key };
}

function applyField(key: ApiKeyEntry, field: FieldName, value: string): string | undefined {
  switch (field) {
    case "rpm":
      if (!/^\d{1,6}$/.test(value))
        return "must be a whole number of creates per minute (0: no pacing)";
      key.rpm = Number(value);
      return undefined;
    case "max_in_flight":
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1) return "must be a whole number ≥ 1";
      key.maxInFlight = Number(value);
      return undefined;
    case "daily_budget":
      if (!/^\d{1,12}(\.\d{1,6})?$/.test(value)) return "must be an amount such as 500 or 12.50";
      key.dailyBudget = Number(value);
      return undefined;
    case "weight":
      if (!/^\d{1,6}(\.\d{1,6})?$/.test(value) || Number(value) <= 0) return "must be a number > 0";
      key.weight = Number(value);
      return undefined;
  }
}
