import type { DashboardCredentials } from "./basic-auth.ts";

/** Raised before listening when the dashboard's settings would expose it unprotected. */
export class DashboardStartError extends Error {
  override name = "DashboardStartError";
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
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
