// Thumbnails of image files, their bytes fetched through read_file over the bridge (the view
// has no network access of its own), a larger view on click. Used by the gallery view and by
// the browser's gallery mode.
import type { CallToolResult } from "@modelcontextprotocol/server";
import { formatBytes } from "../units.js";
import { button, el, show } from "./dom.js";

export interface ImageEntry {
  id: number;
  name: string;
  size?: number | null;
  content_type?: string | null;
}

/** read_file answers these as image content (SPEC: PNG, JPEG, GIF, WebP up to 5 MB). */
const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/i;
const IMAGE_NAMES = /\.(png|jpe?g|gif|webp)$/i;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Thumbnails fetched at once: each is a read_file call through the host. */
const CONCURRENT_FETCHES = 4;

export function isImage(entry: {
  kind?: string;
  name: string;
  size?: number | null;
  content_type?: string | null;
}) {
  if (entry.kind === "directory") return false;
  if ((entry.size ?? 0) > MAX_IMAGE_BYTES) return false;
  return entry.content_type ? IMAGE_TYPES.test(entry.content_type) : IMAGE_NAMES.test(entry.name);
}

export type FetchImage = (fileId: number) => Promise<CallToolResult>;

/** A data: URL (the CSP allows data: images and nothing else), or null when read_file sent no image. */
export function imageUrl(result: CallToolResult): string | null {
  const image = result.content.find((item) => item.type === "image");
  return image ? `data:${image.mimeType};base64,${image.data}` : null;
}

// One fetch per file for the life of the view: re-rendering the grid doesn't fetch again.
const fetched = new Map<number, Promise<string | null>>();
const queue: (() => void)[] = [];
let running = 0;

function limited<T>(task: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = () => {
      running += 1;
      task()
        .then(resolve, reject)
        .finally(() => {
          running -= 1;
          queue.shift()?.();
        });
    };
    if (running < CONCURRENT_FETCHES) start();
    else queue.push(start);
  });
}

/** Seeds the cache with bytes the view already has (the gallery's own read_file result). */
export function knownImage(fileId: number, url: string): void {
  fetched.set(fileId, Promise.resolve(url));
}

function thumbnailUrl(fileId: number, fetchImage: FetchImage): Promise<string | null> {
  let url = fetched.get(fileId);
  if (!url) {
    url = limited(() => fetchImage(fileId)).then(imageUrl);
    fetched.set(fileId, url);
  }
  return url;
}

function enlarge(overlay: HTMLElement, entry: ImageEntry, url: string): void {
  show(
    overlay,
    el(
      "figure",
      { class: "enlarged" },
      el("img", { src: url, alt: entry.name, "data-id": entry.id }),
      el("figcaption", {}, entry.name, entry.size ? ` · ${formatBytes(entry.size)}` : ""),
      button("Close", () => {
        overlay.hidden = true;
        overlay.replaceChildren();
      }),
    ),
  );
  overlay.hidden = false;
}

export function imageGrid(entries: ImageEntry[], fetchImage: FetchImage): HTMLElement {
  const overlay = el("div", { class: "overlay", hidden: true });
  const grid = el("div", { class: "grid" });
  for (const entry of entries) {
    const picture = el("div", { class: "thumb-box" }, el("span", { class: "muted small" }, "loading…"));
    const tile = el(
      "button",
      { type: "button", class: "tile", "data-id": entry.id, title: entry.name, disabled: true },
      picture,
      el("span", { class: "caption" }, entry.name),
    );
    grid.append(tile);
    thumbnailUrl(entry.id, fetchImage).then(
      (url) => {
        if (!url) {
          show(picture, el("span", { class: "muted small" }, "not an image"));
          return;
        }
        show(picture, el("img", { src: url, alt: entry.name, class: "thumb", "data-id": entry.id }));
        tile.disabled = false;
        tile.addEventListener("click", () => enlarge(overlay, entry, url));
      },
      (error: Error) => show(picture, el("span", { class: "error small" }, error.message)),
    );
  }
  return el("div", {}, grid, overlay);
}
