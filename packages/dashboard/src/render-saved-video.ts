import { escapeHtml as e } from "./html-text.ts";
import type { ItemFileView } from "./read-items.ts";

/** What the file is, in a line: "8 s · 1280×720 · avc1.640028, mp4a.40.2 · audio". */
function factsLine(file: ItemFileView): string {
  if (file.durationSeconds === undefined) return `${file.bytes} B · not checked`;
  return [
    `${file.bytes} B`,
    `${file.durationSeconds} s`,
    `${file.width}×${file.height}`,
    (file.codecs ?? []).join(", "),
    file.audio ? "audio" : "no audio",
  ].join(" · ");
}

/** A player for one saved video, with what it is, a download link and any flag. */
export function renderSavedVideo(file: ItemFileView): string {
  const flag = file.flagged
    ? `<div class="flagged" data-flagged>⚠ ${e(file.flagged.join("; "))}</div>`
    : "";
  return `<figure class="file video${file.flagged ? " is-flagged" : ""}" data-file-index="${file.index}">
<video controls preload="metadata" src="${e(file.url)}"></video>
<figcaption><a class="file-link" href="${e(file.url)}" download>${e(file.path)}</a> <span class="muted">${e(factsLine(file))}</span>${flag}</figcaption></figure>`;
}
