import { readImageField, replaceImageField } from "./image-field-path.ts";

/**
 * `input` with each image field of `localImages` that still holds a local file path replaced by
 * what `resolve` gives for that path (an object-store URI, a content hash...). Values that are
 * already object-store URIs (`s3://...`) are left as they are. `resolved` memoizes per path for
 * as long as the caller keeps it, so a file named by many lines is read once. `input` itself is
 * not modified.
 */
export async function replaceLocalImagePaths(
  input: Record<string, unknown>,
  localImages: readonly string[],
  resolved: Map<string, Promise<string>>,
  resolve: (file: string) => Promise<string>,
): Promise<Record<string, unknown>> {
  let replaced = input;
  for (const field of localImages) {
    const file = readImageField(input, field);
    if (typeof file !== "string" || file.startsWith("s3://")) continue;
    let value = resolved.get(file);
    if (value === undefined) {
      value = resolve(file);
      resolved.set(file, value);
    }
    replaced = replaceImageField(replaced, field, await value);
  }
  return replaced;
}
