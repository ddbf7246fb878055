// ui://vagon/gallery: read_file's results, made for images. The image the tool returned is shown large;
// when the view knows its folder (the browser's arguments or a later listing), the folder's other
// images follow as thumbnails fetched through read_file.
import type { CallToolResult } from "@modelcontextprotocol/server";
import { formatBytes } from "../units.js";
import { startView, textOf } from "./app.js";
import { el, formatDate, show } from "./dom.js";
import { type ImageEntry, imageGrid, imageUrl, isImage, knownImage } from "./gallery-grid.js";
import { tableRows } from "./table.js";

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
    show(root, el("p", { class: "error", role: "alert" }, textOf(result) || "read_file failed."));
    view.rendered();
    return;
  }
  if (!url) {
    // The host shows this view for every read_file call: text, grep matches and zip listings
    // read as such, under the tool's own header line (which range, how many matches).
    const header = textOf(result).split("\n")[0] ?? "";
    show(
      root,
      el("h3", {}, name),
      header ? el("p", { class: "muted small summary" }, header) : null,
      otherContent(structured ?? {}),
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
    const entries = (tableRows(listing.entries) as unknown as ImageEntry[]).filter(isImage);
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

interface GrepMatch {
  line: number;
  text: string;
  before?: string[];
  after?: string[];
}

/** grep's matches as numbered lines, context lines muted, "--" between groups that don't touch. */
function matchLines(matches: GrepMatch[]): HTMLElement {
  const lines: HTMLElement[] = [];
  let lastLine = 0;
  for (const match of matches) {
    const before = match.before ?? [];
    const first = match.line - before.length;
    if (lines.length > 0 && first > lastLine + 1) lines.push(el("div", { class: "muted gap" }, "--"));
    lines.push(...before.map((text, offset) => numbered(first + offset, text, "context")));
    lines.push(numbered(match.line, match.text, "match"));
    lines.push(
      ...(match.after ?? []).map((text, offset) => numbered(match.line + 1 + offset, text, "context")),
    );
    lastLine = match.line + (match.after?.length ?? 0);
  }
  return el("pre", { class: "matches" }, ...lines);
}

function numbered(line: number, text: string, kind: "match" | "context"): HTMLElement {
  return el(
    "div",
    { class: kind, "data-line": line },
    el("span", { class: "line-number muted" }, `${line}${kind === "match" ? ":" : "-"} `),
    text,
  );
}

function otherContent(structured: Record<string, unknown>): HTMLElement {
  if (typeof structured.text === "string") {
    return el("pre", { class: "text" }, structured.text);
  }
  if (Array.isArray(structured.matches)) {
    const matches = structured.matches as GrepMatch[];
    return matches.length > 0 ? matchLines(matches) : el("p", { class: "muted" }, "No line matches.");
  }
  if (structured.entries !== undefined) {
    const members = tableRows(structured.entries);
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
            el("td", { class: "name" }, String(member.path ?? "")),
            el("td", { class: "num" }, formatBytes(member.size ?? 0)),
            el("td", { class: "date" }, formatDate(member.modified)),
          ),
        ),
      ),
    );
  }
  const size = typeof structured.size === "number" ? formatBytes(structured.size) : "";
  const note = typeof structured.note === "string" ? structured.note : "";
  return el("p", { class: "muted" }, note || `${String(structured.content_type ?? "binary")} ${size}`.trim());
}
