import type { ItemResult, SavedFile } from "@veoq/pipeline";
import { escapeHtml as e } from "./html-text.ts";
import { savedVideoUrl } from "./saved-video-route.ts";

/** What the file is, in a line: "8 s · 1280×720 · avc1.640028, mp4a.40.2 · audio". */
function factsLine(file: SavedFile): string {
  if (file.durationSeconds === undefined) return "not checked";
  return [
    `${file.durationSeconds} s`,
    `${file.width}×${file.height}`,
    (file.codecs ?? []).join(", "),
    file.audio ? "audio" : "no audio",
  ].join(" · ");
}

/** A player for one saved video of a completed item, with what it is and any flag. */
export function renderSavedVideo(batchId: string, customId: string, file: SavedFile): string {
  const flag = file.flagged
    ? `<div class="flagged" data-flagged>⚠ ${e(file.flagged.join("; "))}</div>`
    : "";
  return `<figure class="video${file.flagged ? " is-flagged" : ""}" data-custom-id="${e(customId)}" data-index="${file.index}">
<video controls preload="metadata" src="${e(savedVideoUrl(batchId, customId, file.index))}"></video>
<figcaption>${e(file.path)} <span class="muted">${e(factsLine(file))}</span>${flag}</figcaption></figure>`;
}

/** The batch page's players: every saved video of the given completed items. */
export function renderVideosSection(batchId: string, items: readonly ItemResult[]): string {
  if (items.length === 0) return "";
  const figures = items
    .flatMap((item) => item.files.map((file) => renderSavedVideo(batchId, item.customId, file)))
    .join("\n");
  return `<section class="box videos"><h2>Videos of ${items.length} completed item${items.length === 1 ? "" : "s"}</h2>
<div class="video-grid">${figures}</div></section>`;
}
