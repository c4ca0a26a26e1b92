/** The three queues of the pipeline, in the order an item passes through them. */
export const QUEUE_NAMES = {
  submit: "submit",
  poll: "poll",
  download: "download",
} as const;

export type QueueRole = keyof typeof QUEUE_NAMES;
export const QUEUE_ROLES = Object.keys(QUEUE_NAMES) as readonly QueueRole[];

/**
 * The BullMQ prefix of one queue. The submit queue keeps `prefix` itself, the hash tag of the
 * account-wide records: the provider-slot scripts wake it through its limiter key, so they must
 * share a slot. Poll and download each get their own tag (`{<bare prefix>:poll}`), so a cluster
 * spreads the queues over its masters; BullMQ keeps every key of one queue in one slot.
 */
export function queuePrefix(prefix: string, role: QueueRole): string {
  return role === "submit" ? prefix : `{${prefix.replace(/[{}]/g, "")}:${QUEUE_NAMES[role]}}`;
}
