/** One sample line of the Prometheus text exposition format. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+-?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * A strict reader of the Prometheus text format (version 0.0.4), enough to check what a scrape
 * returns: every line must be a HELP/TYPE comment, a sample or blank, or it throws naming the
 * line. Used by tests and by anyone who wants to read `/metrics` without a Prometheus.
 */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const parts = line.split(" ");
      if (
        parts[1] === "TYPE" &&
        !(new RegExp(`^${NAME}$`).test(parts[2] ?? "") && TYPES.has(parts[3] ?? ""))
      ) {
        throw new Error(`line ${index + 1}: bad TYPE comment: ${line}`);
      }
      if (parts[1] === "HELP" && !new RegExp(`^${NAME}$`).test(parts[2] ?? "")) {
        throw new Error(`line ${index + 1}: bad HELP comment: ${line}`);
      }
      return;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`line ${index + 1}: not a sample: ${line}`);
    const [, name = "", rawLabels = "", rawValue = ""] = match;
    const value = parseValue(rawValue);
    if (value === undefined) throw new Error(`line ${index + 1}: bad value: ${line}`);
    samples.push({ name, labels: parseLabels(rawLabels, index + 1), value });
  });
  return samples;
}

function parseValue(raw: string): number | undefined {
  // Like Prometheus (Go's ParseFloat): special values are case-insensitive; prom-client writes "Nan".
  const special = raw.toLowerCase();
  if (special === "+inf" || special === "inf") return Number.POSITIVE_INFINITY;
  if (special === "-inf") return Number.NEGATIVE_INFINITY;
  if (special === "nan") return Number.NaN;
  const value = Number(raw);
  return raw !== "" && Number.isFinite(value) ? value : undefined;
}

function parseLabels(raw: string, lineNumber: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < raw.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(raw);
    if (!match || match.index !== start) {
      throw new Error(`line ${lineNumber}: bad labels: {${raw}}`);
    }
    const [, key = "", value = ""] = match;
    labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}
