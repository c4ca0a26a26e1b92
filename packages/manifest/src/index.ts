export { AsciiKeyMap } from "./ascii-key-map.ts";
export { checkLocalImageFile } from "./check-local-image-file.ts";
export { CUSTOM_ID_PATTERN, checkCustomId } from "./custom-id.ts";
export { escapeControlCharacters } from "./escape-control-characters.ts";
export { formatLineReport } from "./format-line-report.ts";
export { readImageField, replaceImageField } from "./image-field-path.ts";
export { DEFAULT_IMAGE_CACHE_BYTES, ImageFileCache } from "./image-file-cache.ts";
export { ImageFileError } from "./image-file-error.ts";
export { inlineLocalImages } from "./inline-local-images.ts";
export { LineBlockDigests } from "./line-block-digests.ts";
export {
  type CreateManifestContextOptions,
  createManifestContext,
  type FileCheckResult,
  type ManifestContext,
} from "./manifest-context.ts";
export type { LineIssue, LineReport, ManifestEntry } from "./manifest-entry.ts";
export { ManifestFileError } from "./manifest-file-error.ts";
export {
  MAX_CUSTOM_ID_LENGTH,
  MAX_IMAGE_BYTES,
  MAX_LINE_BYTES,
  MAX_METADATA_BYTES,
  MAX_PATH_CHARS,
  MAX_PROMPT_CHARS,
} from "./manifest-limits.ts";
export { MANIFEST_LINE_FIELDS } from "./manifest-line-fields.ts";
export {
  type ManifestLine,
  type ManifestLineBatch,
  readManifestLineBatches,
  readManifestLines,
} from "./read-manifest-lines.ts";
export { replaceLocalImagePaths } from "./replace-local-image-paths.ts";
export {
  type ValidateManifestOptions,
  validateManifest,
  validateManifestBatches,
} from "./validate-manifest.ts";
export {
  type ValidateLineOptions,
  validateManifestLine,
  validateManifestLineSync,
} from "./validate-manifest-line.ts";
