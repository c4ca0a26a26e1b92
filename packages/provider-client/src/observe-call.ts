import type { CallTarget } from "./call-failure.ts";
import type { ProviderCallContext } from "./provider-call-context.ts";
import { isProviderError, type ProviderErrorKind } from "./provider-error.ts";

/** Status (when known) of the call being observed, for the `onRequest` event. */
export interface CallState {
  status: number | undefined;
}

/** Runs one call, reporting it to `onRequest` whatever happens. */
export async function observeCall<T>(
  context: ProviderCallContext,
  target: CallTarget,
  run: (state: CallState) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const state: CallState = { status: undefined };
  let errorKind: ProviderErrorKind | undefined;
  try {
    return await run(state);
  } catch (error) {
    if (isProviderError(error)) {
      errorKind = error.kind;
      // A refused redirect fails before the call could record the answer it did get.
      state.status ??= error.status;
    }
    throw error;
  } finally {
    try {
      context.onRequest?.({
        operation: target.operation,
        endpoint: target.endpoint,
        status: state.status,
        errorKind,
        durationMs: performance.now() - started,
      });
    } catch {
      // A metrics hook must not change the outcome of a call.
    }
  }
}
