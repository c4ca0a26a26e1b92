import type { RequestHandler } from "express";

/**
 * Refuses state-changing requests sent by another site. Browsers attach basic auth credentials
 * to cross-site form posts on their own, so without this any page a logged-in operator opens
 * could press "retry" for them. Requests without Origin/Sec-Fetch-Site (curl, scripts) pass.
 */
export function sameOriginGuard(): RequestHandler {
  return (request, response, next) => {
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") {
      next();
      return;
    }
    // Sec-Fetch-Site is set by the browser and survives proxies that rewrite Host; Origin vs
    // Host is the fallback for browsers that do not send it.
    const fetchSite = request.headers["sec-fetch-site"];
    const origin = request.headers.origin;
    const crossSite =
      fetchSite !== undefined
        ? fetchSite !== "same-origin" && fetchSite !== "none"
        : origin !== undefined && origin !== "null" && hostOf(origin) !== request.headers.host;
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
