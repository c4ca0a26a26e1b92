/**
 * A local image named by a queued entry cannot be used at submit time: it was deleted, changed
 * into something that is not an accepted image, or grew past the size limit after validation.
 * Permanent for that entry (retrying will not bring the file back).
 */
export class ImageFileError extends Error {
  /** The image field's concrete path in the input, e.g. "image" or "reference_images[0].image". */
  readonly field: string;
  /** The absolute path of the file. */
  readonly file: string;

  constructor(field: string, file: string, reason: string, options?: ErrorOptions) {
    super(`${field}: file ${file} ${reason}`, options);
    this.name = "ImageFileError";
    this.field = field;
    this.file = file;
  }
}
