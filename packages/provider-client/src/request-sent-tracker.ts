import { Dispatcher } from "undici";

/**
 * A dispatcher for ONE request that forwards to a shared dispatcher (keeping its keep-alive
 * pool) and records whether undici handed the whole request to the socket (`onRequestSent`).
 * That is what separates "failed before sending" (safe to retry) from "sent, no answer"
 * (a create may have created a task).
 */
export class RequestSentTracker extends Dispatcher {
  #inner: Dispatcher;
  #sent = false;

  constructor(inner: Dispatcher) {
    super();
    this.#inner = inner;
  }

  /** True once the request's headers and body were written to the socket. */
  get sent(): boolean {
    return this.#sent;
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const markSent = (): void => {
      this.#sent = true;
    };
    // undici calls the legacy `onRequestSent` hook on the handler it is given; the handler that
    // `request()` passes is a legacy one, so a proxy can add the hook and delegate the rest.
    const tracked = new Proxy(handler, {
      get(target, key, receiver) {
        if (key === "onRequestSent") {
          return (...args: unknown[]) => {
            markSent();
            const original = Reflect.get(target, key, receiver) as
              | ((...a: unknown[]) => unknown)
              | undefined;
            return original?.apply(target, args);
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return this.#inner.dispatch(options, tracked);
  }
}
