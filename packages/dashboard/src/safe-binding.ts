import { isLoopbackHost } from "@veoq/config";
import type { DashboardCredentials } from "./basic-auth.ts";

export { isLoopbackHost };

/** Raised before listening when the dashboard's settings would expose it unprotected. */
export class DashboardStartError extends Error {
  override name = "DashboardStartError";
}

/**
 * The credentials to use, or an error: user and password come as a pair, and listening on
 * anything but loopback without them is refused (the dashboard can retry and delete jobs).
 */
export function credentialsForBinding(
  host: string,
  user: string | undefined,
  password: string | undefined,
): DashboardCredentials | undefined {
  if ((user === undefined) !== (password === undefined)) {
    throw new DashboardStartError(
      "set both DASHBOARD_USER and DASHBOARD_PASSWORD for basic auth, or neither",
    );
  }
  if (user !== undefined && password !== undefined) return { user, password };
  if (!isLoopbackHost(host)) {
    throw new DashboardStartError(
      `refusing to listen on ${host} without credentials: set DASHBOARD_USER and DASHBOARD_PASSWORD (HTTP basic auth), or listen on 127.0.0.1 (DASHBOARD_HOST / --host)`,
    );
  }
  return undefined;
}
