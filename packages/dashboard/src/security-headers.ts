import type { RequestHandler } from "express";

/**
 * The dashboard's own pages: scripts only as files from this origin (the batch page's live
 * updates, never inline ones), reads of its own JSON API, its own files in <video>, inline styles
 * (one <style> block and the state bar's widths), forms posting only back here.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "media-src 'self'",
  "style-src 'unsafe-inline'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Bull Board's single-page app: its own scripts, styles (inline ones included), images, fonts
 * and API, all from this origin; its page sets `<base href>` to the mount path.
 */
export const BULL_BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "form-action 'self'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Headers on every response: never framed (X-Frame-Options for old browsers, frame-ancestors
 * for new ones), so another site cannot overlay the dashboard and borrow a click on "retry";
 * no MIME sniffing; no Referer (with batch ids) sent to other sites; and a CSP that fits each part.
 */
export function securityHeaders(bullBoardPath: string): RequestHandler {
  return (request, response, next) => {
    const inBullBoard =
      request.path === bullBoardPath || request.path.startsWith(`${bullBoardPath}/`);
    response.set({
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      // Not no-referrer: with it browsers send `Origin: null` on our own form posts.
      "Referrer-Policy": "same-origin",
      "Content-Security-Policy": inBullBoard ? BULL_BOARD_CSP : DASHBOARD_CSP,
    });
    next();
  };
}
