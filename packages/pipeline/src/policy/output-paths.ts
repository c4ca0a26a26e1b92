import path from "node:path";

/** Raised when a computed output path would leave the output dir. */
export class OutputPathError extends Error {
  override name = "OutputPathError";
}

const SAFE_SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;
const SAFE_EXTENSION = /^[a-z0-9]{1,8}$/;

function checkSegment(label: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value === "." || value === "..") {
    throw new OutputPathError(`${label} ${JSON.stringify(value)} cannot name a folder`);
  }
}

/** File extension for an output: the provider's type when it is sane, else mp4. */
export function outputExtension(type: string | undefined): string {
  const candidate = (type ?? "").toLowerCase().replace(/^video\//, "");
  return SAFE_EXTENSION.test(candidate) ? candidate : "mp4";
}

/**
 * `<outputDir>/<batch>/<custom_id>/<n>.<ext>`, guaranteed inside outputDir. Returns the absolute
 * path and the path relative to outputDir (what results report).
 */
export function outputFilePath(
  outputDir: string,
  batchId: string,
  customId: string,
  index: number,
  extension: string,
): { absolute: string; relative: string } {
  checkSegment("batch id", batchId);
  checkSegment("custom_id", customId);
  if (!Number.isInteger(index) || index < 0) throw new OutputPathError(`bad output index ${index}`);
  const root = path.resolve(outputDir);
  const relative = path.join(batchId, customId, `${index}.${outputExtension(extension)}`);
  const absolute = path.resolve(root, relative);
  if (!absolute.startsWith(root + path.sep)) {
    throw new OutputPathError(`output path escapes ${root}`);
  }
  return { absolute, relative };
}
