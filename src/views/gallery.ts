// ui://vagon/gallery: read_file's image results. The image the tool returned is shown large;
// when the view knows its folder (the browser's arguments or a later listing), the folder's other
// images follow as thumbnails fetched through read_file.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startView } from "./app.js";
import { el, show } from "./dom.js";
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
  if (result.isError || !url || id === null) {
    show(
      root,
      el("p", { class: "status" }, result.isError ? "read_file failed." : "No image in this result."),
    );
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
      el("figcaption", {}, name),
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
