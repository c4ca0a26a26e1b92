/** Bytes needed to tell an MP4 from anything else: the first box's size and type. */
export const MP4_SIGNATURE_BYTES = 8;

/**
 * Whether `head` (the first `MP4_SIGNATURE_BYTES` or more of a file) starts like an MP4: an
 * ISO-BMFF file opens with its `ftyp` box, whose type sits at offset 4. The cheap first gate
 * against an HTML page or an error text served as `application/octet-stream`; it says nothing
 * of what follows (full verification is the download stage's job).
 */
export function startsLikeMp4(head: Uint8Array): boolean {
  return (
    head.length >= MP4_SIGNATURE_BYTES &&
    Buffer.from(head.subarray(4, 8)).toString("latin1") === "ftyp"
  );
}

/** The first signature bytes as hex, for an error message (never raw bytes: no control characters). */
export function describeFileStart(head: Uint8Array): string {
  const start = Buffer.from(head.subarray(0, MP4_SIGNATURE_BYTES));
  return start.length === 0 ? "an empty file" : `bytes ${start.toString("hex")}`;
}
