// ui://vagon/gallery: read_file's results, made for images. The image the tool returned is shown large;
// when the view knows its folder (the browser's arguments or a later listing), the folder's other
// images follow as thumbnails fetched through read_file.
import type { CallToolResult } from "@modelcontextprotocol/server";
import { formatBytes } from "../units.js";
import { startView } from "./app.js";
import { el, formatDate, show } from "./dom.js";
import { type ImageEntry, imageGrid, imageUrl, isImage, knownImage } from "./gallery-grid.js";

const root = document.getElementById("app")!;
let fileId: number | null = null;

const view = startView("gallery", {
  onInput(args) {
    if (typeof args.file_id === "number") fileId = args.file_id;
  },
  onResult(result, structured) {
    void renderResult(result, structured);
  },
});

async function renderResult(result: CallToolResult, structured: Record<string, unknown> | undefined) {
  const url = imageUrl(result);
  const id = typeof structured?.id === "number" ? structured.id : fileId;
  const name = typeof structured?.name === "string" ? structured.name : `file ${id ?? ""}`;
  if (result.isError || id === null) {
    show(root, el("p", { class: "status" }, "read_file failed; its message is in the conversation."));
    view.rendered();
    return;
  }
  if (!url) {
    // The host shows this view for every read_file call: text and zip listings read as such.
    show(root, el("h3", {}, name), otherContent(structured ?? {}));
    view.rendered();
    return;
  }
  knownImage(id, url);
  const current: ImageEntry = {
    id,
    name,
    size: typeof structured?.size === "number" ? structured.size : null,
    content_type: typeof structured?.content_type === "string" ? structured.content_type : null,
  };
  show(
    root,
    el(
      "figure",
      { class: "hero" },
      el("img", { src: url, alt: name, class: "large", "data-id": id }),
      el(
        "figcaption",
        {},
        [name, current.size ? formatBytes(current.size) : "", current.content_type ?? ""]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
  );
  view.rendered();
  // Its siblings, when the server says where the file lives.
  const parentId = typeof structured?.parent_id === "number" ? structured.parent_id : null;
  if (parentId === null) return;
  try {
    const { structured: listing } = await view.callTool("list_files", {
      ...(typeof structured?.location === "string" ? { location: structured.location } : {}),
      ...(typeof structured?.machine_id === "number" ? { machine_id: structured.machine_id } : {}),
      parent_id: parentId,
      limit: 100,
    });
    const entries = (listing.entries as ImageEntry[] & { kind: string }[]).filter(isImage);
    if (entries.length > 1) {
      root.append(
        el("h3", {}, "In the same folder"),
        imageGrid([current, ...entries.filter((entry) => entry.id !== id)], (other) =>
          view.callTool("read_file", { file_id: other }),
        ),
      );
    }
  } catch {
    // The folder strip is a bonus; the image itself is already shown.
  }
}

interface ZipMember {
  path: string;
  size?: number;
  modified?: string | null;
}

function otherContent(structured: Record<string, unknown>): HTMLElement {
  if (typeof structured.text === "string") {
    return el("pre", { class: "text" }, structured.text);
  }
  if (Array.isArray(structured.entries)) {
    const members = structured.entries as ZipMember[];
    return el(
      "table",
      { class: "zip" },
      el(
        "tbody",
        {},
        ...members.map((member) =>
          el(
            "tr",
            {},
            el("td", { class: "name" }, member.path),
            el("td", { class: "num" }, formatBytes(member.size ?? 0)),
            el("td", { class: "date" }, formatDate(member.modified)),
          ),
        ),
      ),
    );
  }
  const size = typeof structured.size === "number" ? formatBytes(structured.size) : "";
  return el("p", { class: "muted" }, `${String(structured.content_type ?? "binary")} ${size}`.trim());
}
