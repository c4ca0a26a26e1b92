/** The three queues of the pipeline, in the order an item passes through them. */
export const QUEUE_NAMES = {
  submit: "submit",
  poll: "poll",
  download: "download",
} as const;

export type QueueRole = keyof typeof QUEUE_NAMES;
export const QUEUE_ROLES = Object.keys(QUEUE_NAMES) as readonly QueueRole[];
