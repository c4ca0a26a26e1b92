/** Raised when a server the CLI starts cannot listen: one line naming it, exit code 1. */
export class ListenError extends Error {
  override name = "ListenError";
}

/**
 * One line for a server that could not listen (`what` names it: "the dashboard", "the worker's
 * metrics server", "the simulator"), or undefined for other errors.
 */
export function describeListenError(
  error: unknown,
  what: string,
  flag: string,
): string | undefined {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(error instanceof Error) || e.syscall !== "listen") return undefined;
  const where =
    e.address === undefined ? "" : ` ${e.address}${e.port === undefined ? "" : `:${e.port}`}`;
  if (e.code === "EADDRINUSE") {
    return `${what} cannot listen on${where}: the port is already in use (choose another with ${flag}, or 0 for a free one)`;
  }
  if (e.code === "EACCES")
    return `${what} may not listen on${where}: permission denied (choose a port above 1023 with ${flag})`;
  if (e.code === "EADDRNOTAVAIL")
    return `${what} cannot listen on${where}: no such address on this machine`;
  return undefined;
}

/** Runs `start`, turning a listen failure into a ListenError that names the server. */
export async function naming<T>(what: string, flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const line = describeListenError(error, what, flag);
    if (line !== undefined) throw new ListenError(line, { cause: error });
    throw error;
  }
}
