import type { RequestHandler } from "express";
import type { AllowedHosts } from "./allowed-hosts.ts";

/**
 * Refuses state-changing requests sent by another site. Browsers attach basic auth credentials
 * to cross-site form posts on their own, so without this any page a logged-in operator opens
 * could press "retry" for them. Requests without Origin/Sec-Fetch-Site (curl, scripts) pass.
 * `Origin: null` (sandboxed frames, data: URLs, some redirects) is never this dashboard.
 */
export function sameOriginGuard(allowed: AllowedHosts): RequestHandler {
  return (request, response, next) => {
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") {
      next();
      return;
    }
    // Sec-Fetch-Site is set by the browser and survives proxies that rewrite Host; Origin vs
    // Host is the fallback for browsers that do not send it. Host itself is trusted only once
    // it is on the allow-list: a rebound attacker.example page is "same-origin" with itself.
    const fetchSite = request.headers["sec-fetch-site"];
    const origin = request.headers.origin;
    const host = request.headers.host;
    const crossSite =
      origin === "null" ||
      !allowed.allows(host) ||
      (fetchSite !== undefined
        ? fetchSite !== "same-origin" && fetchSite !== "none"
        : origin !== undefined && hostOf(origin) !== host);
    if (crossSite) {
      response.status(403).type("text/plain").send("cross-site request refused\n");
      return;
    }
    next();
  };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
