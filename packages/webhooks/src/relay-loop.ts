import { ACCOUNT_OUTBOX_MESSAGE, type RedisConnection } from "@veoq/pipeline";
import type { OutboxRelay } from "./relay-outbox.ts";

/** What the loop asks of the relay (an OutboxRelay). */
export type RelayLoopRelay = Pick<
  OutboxRelay,
  "relayBatch" | "relayAccount" | "relayPending" | "sweepRecent"
>;

export interface RelayLoopOptions {
  relay: RelayLoopRelay;
  /** A connection of its own, used only to subscribe to `channel`. */
  subscriber: RedisConnection;
  /** The outboxes' wake-up channel (`recordKeys(prefix).webhookOutboxWake`). */
  channel: string;
  /** Real ms between sweeps of the hint set and the account outbox (messages missed). */
  sweepIntervalMs: number;
  /** Real ms between sweeps of the newest batches' outboxes (a process killed before its hint). */
  recentSweepIntervalMs: number;
  /** How many of the newest batches that sweep reads. */
  recentSweepBatches: number;
  /**
   * Real ms a round of relays waits for more messages before it runs: under load, a batch whose
   * items finish many times a second is read once per round, not once per item.
   */
  coalesceMs: number;
  /**
   * Real ms before a relay that failed (Redis away, a blip) is tried again, doubling with each
   * failure in a row up to `sweepIntervalMs`: the message that asked for it is spent.
   */
  retryMs: number;
  /** Told when a relay fails (Redis away); it is tried again after `retryMs` (see there). */
  onError: (error: unknown) => void;
}

export interface RelayLoop {
  /** Stops listening and the sweeps; resolves once the relay under way has ended. */
  stop(): Promise<void>;
}

/** One piece of work of the loop: a batch's outbox, the account's, or a sweep. */
type Work = `batch:${string}` | "account" | "pending" | "recent";

/**
 * When the relay runs in a worker process: about `coalesceMs` after a script wrote an outbox
 * entry (the message on the outboxes' channel names the batch, or the account outbox; see
 * store/webhook-outbox.ts in @veoq/pipeline), and otherwise only at the sweeps, so an idle
 * process costs Redis nothing between them. At start: the newest batches, then every pending
 * outbox once subscribed (what was written before). After a reconnect of the subscriber: every
 * pending outbox (messages are not kept for a subscriber away).
 *
 * One relay at a time per process, in rounds at most every `coalesceMs`: work asked for while a
 * round runs waits for the next, and work asked for twice before its round runs once. Work is
 * taken off before it runs, so a message during its run (an entry written after its read) runs
 * it again.
 */
export function startRelayLoop(options: RelayLoopOptions): RelayLoop {
  const { relay, subscriber } = options;
  const queued = new Set<Work>();
  let running: Promise<void> | undefined;
  let stopped = false;
  let failuresInARow = 0;
  const retryLater = (work: Work) => {
    const wait = Math.min(options.retryMs * 2 ** failuresInARow, options.sweepIntervalMs);
    failuresInARow++;
    setTimeout(() => ask(work), wait).unref();
  };

  const run = (work: Work): Promise<unknown> => {
    if (work === "account") return relay.relayAccount();
    if (work === "pending") return relay.relayPending();
    if (work === "recent") return relay.sweepRecent(options.recentSweepBatches);
    return relay.relayBatch(work.slice("batch:".length));
  };
  const drain = async () => {
    while (queued.size > 0 && !stopped) {
      await new Promise((resolve) => setTimeout(resolve, options.coalesceMs));
      // Taken off before it runs: a message during the round (an entry written after its read)
      // asks for it again, in the next round.
      const round = [...queued];
      queued.clear();
      for (const work of round) {
        if (stopped) break;
        await run(work).then(
          () => {
            failuresInARow = 0;
          },
          (error: unknown) => {
            options.onError(error);
            retryLater(work);
          },
        );
      }
    }
    running = undefined;
  };
  const ask = (work: Work) => {
    if (stopped) return;
    queued.add(work);
    running ??= drain();
  };

  const onMessage = (channel: string, message: string) => {
    if (channel !== options.channel) return;
    ask(message === ACCOUNT_OUTBOX_MESSAGE ? "account" : `batch:${message}`);
  };
  let subscribed = false;
  const onReady = () => {
    // ioredis subscribes again on a reconnect; what was written while it was away is pending.
    if (subscribed) ask("pending");
  };
  // ioredis reconnects by itself (and subscribes again); a relay that fails while Redis is away
  // is reported through onError. Without a listener ioredis prints every failed reconnect.
  const onConnectionError = () => {};
  subscriber.on("error", onConnectionError);
  subscriber.on("message", onMessage);
  subscriber.on("ready", onReady);
  ask("recent");
  subscriber
    .subscribe(options.channel)
    .then(() => {
      subscribed = true;
      ask("pending"); // what was written before the subscription took
    })
    .catch(options.onError);
  const sweep = setInterval(() => ask("pending"), options.sweepIntervalMs);
  sweep.unref();
  const recent = setInterval(() => ask("recent"), options.recentSweepIntervalMs);
  recent.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(sweep);
      clearInterval(recent);
      subscriber.off("message", onMessage);
      subscriber.off("ready", onReady);
      subscriber.disconnect();
      await running;
    },
  };
}
