/** JSON with object keys sorted at every level, so equal bodies give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysOf(value));
}

function sortKeysOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysOf);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) sorted[key] = sortKeysOf(record[key]);
    return sorted;
  }
  return value;
}
