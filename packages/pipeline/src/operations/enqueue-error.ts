/** An enqueue that cannot go on (bad batch id, an image that cannot be stored): one clear line. */
export class EnqueueError extends Error {
  override name = "EnqueueError";
}
