import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";

/** HTTP basic auth credentials (DASHBOARD_USER / DASHBOARD_PASSWORD). */
export interface DashboardCredentials {
  user: string;
  password: string;
}

/**
 * Whether an `Authorization` header carries exactly these credentials. Both sides are hashed
 * first so the comparison is constant-time whatever the lengths (timingSafeEqual needs equal
 * lengths, and comparing lengths directly would leak them).
 */
export function credentialsMatch(
  header: string | undefined,
  expected: DashboardCredentials,
): boolean {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = sameSecret(decoded.slice(0, colon), expected.user);
  const passwordOk = sameSecret(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Express middleware answering 401 with a Basic challenge unless the credentials match. */
export function requireBasicAuth(credentials: DashboardCredentials): RequestHandler {
  return (request, response, next) => {
    if (credentialsMatch(request.headers.authorization, credentials)) {
      next();
      return;
    }
    response
      .status(401)
      .set("WWW-Authenticate", 'Basic realm="veoq dashboard", charset="UTF-8"')
      .type("text/plain")
      .send("authentication required\n");
  };
}
