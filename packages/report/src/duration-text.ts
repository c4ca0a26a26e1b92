/** "42 s", "3 min 5 s", "2 h 10 min": the one way veoq writes a duration (CLI and dashboard). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Final items per minute, readable at any rate; "–" when nothing finished yet. */
export function formatThroughput(itemsPerSecond: number): string {
  const perMinute = itemsPerSecond * 60;
  if (perMinute === 0) return "–";
  return `${perMinute >= 10 ? Math.round(perMinute) : perMinute.toFixed(1)} items/min`;
}
