/** The manifest file itself cannot be read (missing, a folder, no permission). */
export class ManifestFileError extends Error {
  /** The manifest path as it was given. */
  readonly file: string;

  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`manifest ${file} ${reason}`, options);
    this.name = "ManifestFileError";
    this.file = file;
  }
}
