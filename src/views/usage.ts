// ui://vagon/usage: storage_usage as horizontal bars, one per top-level sub-folder plus the files
// lying directly in the folder, so the bars add up to the total; then the biggest files.
import { formatBytes } from "../units.js";
import { startView } from "./app.js";
import { el, formatDate, show } from "./dom.js";

interface BreakdownRow {
  id: number;
  name: string;
  path?: string | null;
  bytes: number;
  files: number;
  newest?: string | null;
  oldest?: string | null;
}
interface Usage {
  total_bytes: number;
  files: number;
  folders: number;
  breakdown: BreakdownRow[];
  biggest_files: {
    id: number;
    name: string;
    size?: number | null;
    path?: string | null;
    modified?: string | null;
  }[];
  storage?: { used: number; total: number } | null;
  complete: boolean;
}

const root = document.getElementById("app")!;

const view = startView("usage", {
  onResult(result, structured) {
    if (result.isError || !structured || typeof structured.total_bytes !== "number") {
      show(root, el("p", { class: "status" }, "storage_usage failed; its message is in the conversation."));
    } else {
      render(structured as unknown as Usage);
    }
    view.rendered();
  },
});

/** Rows one level down: deeper rows (depth 2–3) are inside them and would count twice. */
function topLevel(rows: BreakdownRow[]): BreakdownRow[] {
  const depthOf = (row: BreakdownRow) => (row.path ?? row.name).split("/").filter(Boolean).length;
  const shallowest = Math.min(...rows.map(depthOf));
  return rows.filter((row) => depthOf(row) === shallowest);
}

function bar(label: string, bytes: number, total: number, detail: string, kind: string): HTMLElement {
  const share = total > 0 ? bytes / total : 0;
  return el(
    "div",
    { class: `bar-row ${kind}`, "data-bytes": bytes },
    el(
      "div",
      { class: "bar-label" },
      el("span", { class: "bar-name" }, label),
      el("span", { class: "muted small" }, detail),
    ),
    el(
      "div",
      { class: "bar-track", role: "img", "aria-label": `${label}: ${(share * 100).toFixed(1)}%` },
      el("div", { class: "bar-fill", style: `width:${(share * 100).toFixed(2)}%` }),
    ),
    el("div", { class: "num" }, formatBytes(bytes)),
  );
}

function render(usage: Usage): void {
  const rows = usage.breakdown.length > 0 ? topLevel(usage.breakdown) : [];
  const inFolders = rows.reduce((sum, row) => sum + row.bytes, 0);
  const filesInFolders = rows.reduce((sum, row) => sum + row.files, 0);
  const loose = Math.max(0, usage.total_bytes - inFolders);
  const bars = [...rows]
    .sort((a, b) => b.bytes - a.bytes)
    .map((row) =>
      bar(
        row.name,
        row.bytes,
        usage.total_bytes,
        `${row.files} files${row.newest ? ` · newest ${formatDate(row.newest).slice(0, 10)}` : ""}`,
        "folder",
      ),
    );
  if (loose > 0 || rows.length === 0) {
    bars.push(
      bar("(files here)", loose, usage.total_bytes, `${usage.files - filesInFolders} files`, "loose"),
    );
  }
  const storage = usage.storage
    ? el(
        "p",
        { class: "quota" },
        `Account storage: ${formatBytes(usage.storage.used)} of ${formatBytes(usage.storage.total)} used`,
        el("progress", { max: usage.storage.total, value: usage.storage.used }),
      )
    : null;
  show(
    root,
    el(
      "header",
      { class: "summary" },
      el("strong", { class: "total", "data-bytes": usage.total_bytes }, formatBytes(usage.total_bytes)),
      ` in ${usage.files} files, ${usage.folders} folders`,
      usage.complete ? "" : " (scan incomplete: at least this much)",
    ),
    storage,
    el("section", { class: "bars" }, ...bars),
    usage.biggest_files.length > 0 ? el("h3", {}, "Biggest files") : null,
    usage.biggest_files.length > 0
      ? el(
          "table",
          { class: "biggest" },
          el(
            "tbody",
            {},
            ...usage.biggest_files.map((file) =>
              el(
                "tr",
                { "data-id": file.id },
                el("td", { class: "name" }, file.path ?? file.name),
                el("td", { class: "num", "data-bytes": file.size ?? "" }, formatBytes(file.size ?? 0)),
                el("td", { class: "date" }, formatDate(file.modified)),
              ),
            ),
          ),
        )
      : null,
  );
}
