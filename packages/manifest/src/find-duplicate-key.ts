const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

interface Container {
  /** Keys seen so far, for an object; `undefined` for an array. */
  keys: Set<string> | undefined;
  /** Path of this container, as in line reports: `input.reference_images[0]`. */
  path: string;
  /** The last key (object) or the current index (array). */
  member: string | number;
  expectingKey: boolean;
}

/**
 * Finds the first key that appears twice in one object of `source`, at any depth, which
 * `JSON.parse` would silently resolve to the last value. `source` must already be valid JSON
 * (parse it first). One pass over the text: string contents are jumped over with `indexOf`, so
 * big base64 values cost next to nothing. Returns the duplicate's path and key.
 */
export function findDuplicateKey(
  source: string,
  /** `JSON.parse(source)`, when the caller has it: a line with no duplicate is then told quickly. */
  parsed?: unknown,
): { path: string; key: string } | undefined {
  // Every key of the text is a key of the parsed value unless it repeats one: equal counts mean
  // no duplicate, found without building a key set per object (the common case, once per line).
  if (parsed !== undefined && keysInText(source) === keysInValue(parsed)) return undefined;
  const stack: Container[] = [];
  let top: Container | undefined;
  for (let i = 0; i < source.length; i++) {
    const char = source.charCodeAt(i);
    if (char === QUOTE) {
      const end = stringEnd(source, i);
      if (top?.keys !== undefined && top.expectingKey) {
        const raw = source.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return { path: top.path, key };
        top.keys.add(key);
        top.member = key;
        top.expectingKey = false;
      }
      i = end;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      const path = top === undefined ? "" : memberPath(top);
      top = {
        keys: char === OPEN_OBJECT ? new Set() : undefined,
        path,
        member: 0,
        expectingKey: char === OPEN_OBJECT,
      };
      stack.push(top);
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      stack.pop();
      top = stack[stack.length - 1];
    } else if (char === COMMA && top !== undefined) {
      if (top.keys !== undefined) top.expectingKey = true;
      else top.member = (top.member as number) + 1;
    }
  }
  return undefined;
}

/** How many object keys valid JSON `source` writes: strings followed by a colon. */
function keysInText(source: string): number {
  let keys = 0;
  let i = source.indexOf('"');
  while (i !== -1) {
    const end = stringEnd(source, i);
    let next = end + 1;
    let char = source.charCodeAt(next);
    while (char === 0x20 || char === 0x09 || char === 0x0a || char === 0x0d) {
      char = source.charCodeAt(++next);
    }
    if (char === COLON) keys++;
    i = source.indexOf('"', next);
  }
  return keys;
}

/** How many keys the objects of a parsed JSON value hold, at every depth. */
function keysInValue(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += keysInValue(item);
    return keys;
  }
  for (const key in value) {
    keys += 1 + keysInValue((value as Record<string, unknown>)[key]);
  }
  return keys;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(source: string, start: number): number {
  let end = source.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (source.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = source.indexOf('"', end + 1);
  }
}

function memberPath(container: Container): string {
  if (typeof container.member === "number") return `${container.path}[${container.member}]`;
  return container.path === "" ? container.member : `${container.path}.${container.member}`;
}
