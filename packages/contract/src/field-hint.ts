/**
 * Fields that users mix up between the two endpoints (or carry over from other Veo APIs).
 * A confusion is only suggested when its target is a known field of the endpoint at hand.
 */
const KNOWN_CONFUSIONS: Readonly<Record<string, readonly string[]>> = {
  duration_seconds: ["duration"],
  duration: ["duration_seconds"],
  last_image: ["last_frame_image"],
  last_frame_image: ["last_image"],
  first_frame_image: ["image"],
  first_image: ["image"],
  number_of_videos: ["sample_count"],
  num_videos: ["sample_count"],
};

/** Lower-case and drop separators, so `durationSeconds` and `duration-seconds` match `duration_seconds`. */
function normaliseFieldName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 0; i < rows; i++) (d[i] as number[])[0] = i;
  for (let j = 0; j < cols; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * Suggests the known field the user probably meant by `unknown`, for "did you mean" hints.
 * Checks, in order: known confusions (`duration_seconds` <-> `duration`,
 * `last_image` <-> `last_frame_image`, ...), the same name in another case or separator
 * style, then the closest name by edit distance (at most 1 edit for names up to 4
 * characters, 2 for longer ones). Returns `undefined` when nothing is close enough.
 */
export function suggestField(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const normalised = normaliseFieldName(unknown);
  for (const [from, targets] of Object.entries(KNOWN_CONFUSIONS)) {
    if (normaliseFieldName(from) !== normalised) continue;
    const target = targets.find((candidate) => known.includes(candidate));
    if (target !== undefined) return target;
  }
  const sameName = known.find((candidate) => normaliseFieldName(candidate) === normalised);
  if (sameName !== undefined) return sameName;
  const limit = unknown.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
