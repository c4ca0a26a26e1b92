import type { RequestHandler } from "express";
import { isLoopbackHost } from "./safe-binding.ts";

/**
 * The names a request's `Host` may carry. A page on attacker.example whose DNS answer flips to
 * 127.0.0.1 (DNS rebinding) reaches the dashboard as same-origin from the browser's view, but
 * its requests still say `Host: attacker.example`; checking Host is what tells them apart.
 */
export interface AllowedHosts {
  /** True when this `Host` header names the dashboard (port ignored, case-insensitive). */
  allows(hostHeader: string | undefined): boolean;
}

/**
 * Loopback names and addresses (localhost, 127.0.0.0/8, ::1), the host the dashboard is bound
 * to unless it is a wildcard (0.0.0.0, ::), and the extra names (DASHBOARD_ALLOWED_HOSTS, for a
 * proxy or a LAN name).
 */
export function allowedHostsFor(boundHost: string, extra: readonly string[] = []): AllowedHosts {
  const names = new Set(
    [boundHost, ...extra]
      .map((name) => bareHost(name))
      .filter((name) => name !== "" && name !== "0.0.0.0" && name !== "::"),
  );
  return {
    allows(hostHeader) {
      if (hostHeader === undefined) return false;
      const name = hostnameOf(hostHeader);
      if (name === undefined) return false;
      return isLoopbackHost(name) || name.endsWith(".localhost") || names.has(name);
    },
  };
}

/** Refuses (421) every request whose Host is not allowed, before anything else reads it. */
export function requireAllowedHost(allowed: AllowedHosts): RequestHandler {
  return (request, response, next) => {
    if (allowed.allows(request.headers.host)) {
      next();
      return;
    }
    response
      .status(421)
      .type("text/plain")
      .send(
        "unknown Host: add it to DASHBOARD_ALLOWED_HOSTS to reach the dashboard by this name\n",
      );
  };
}

/** The hostname of a Host header ("[::1]:3000" → "::1"), or undefined when it is malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  if (hostHeader.length > 300) return undefined;
  try {
    const url = new URL(`http://${hostHeader}/`);
    if (url.username !== "" || url.password !== "" || url.pathname !== "/") return undefined;
    return bareHost(url.hostname);
  } catch {
    return undefined;
  }
}

function bareHost(name: string): string {
  return name
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}
