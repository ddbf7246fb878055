// ui://vagon/usage: storage_usage as horizontal bars, one per top-level sub-folder plus the files
// lying directly in the folder, so the top-level bars add up to the total; each folder's own
// sub-folders (depth 2–3) follow it, indented; then the biggest files.
import { formatBytes } from "../units.js";
import { startView, textOf } from "./app.js";
import { el, formatDate, show } from "./dom.js";
import { type TableRecord, tableRows } from "./table.js";

interface BreakdownRow {
  id: number;
  name: string;
  path: string;
  bytes: number;
  files: number;
  newest?: string | null;
  oldest?: string | null;
}
/** storage_usage's answer; breakdown and biggest_files are tables (table.ts). */
interface Usage {
  total_bytes: number;
  files: number;
  folders: number;
  breakdown: unknown;
  biggest_files: unknown;
  storage?: { used: number; total: number } | null;
  complete: boolean;
}

const root = document.getElementById("app")!;

const view = startView("usage", {
  onResult(result, structured) {
    if (result.isError || !structured || typeof structured.total_bytes !== "number") {
      show(root, el("p", { class: "error", role: "alert" }, textOf(result) || "storage_usage failed."));
    } else {
      render(structured as unknown as Usage);
    }
    view.rendered();
  },
});

const levelOf = (row: BreakdownRow) => row.path.split("/").filter(Boolean).length;

/**
 * Every row, each folder followed by the folders inside it (biggest first at every level), with
 * its level below the measured folder: 1 for its sub-folders, up to the depth asked for.
 */
function levels(rows: BreakdownRow[]): Array<{ row: BreakdownRow; level: number }> {
  const shallowest = Math.min(...rows.map(levelOf));
  const ordered: Array<{ row: BreakdownRow; level: number }> = [];
  const place = (parent: BreakdownRow | null, level: number) => {
    const children = rows
      .filter((row) =>
        parent
          ? levelOf(row) === levelOf(parent) + 1 && row.path.startsWith(`${parent.path}/`)
          : levelOf(row) === shallowest,
      )
      .sort((a, b) => b.bytes - a.bytes || a.id - b.id);
    for (const child of children) {
      ordered.push({ row: child, level });
      place(child, level + 1);
    }
  };
  place(null, 1);
  return ordered;
}

function bar(
  label: string,
  bytes: number,
  total: number,
  detail: string,
  kind: string,
  level = 1,
): HTMLElement {
  const share = total > 0 ? bytes / total : 0;
  return el(
    "div",
    { class: `bar-row ${kind} level-${level}`, "data-bytes": bytes, "data-level": level },
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
  const breakdown = tableRows(usage.breakdown) as unknown as BreakdownRow[];
  const biggest: TableRecord[] = tableRows(usage.biggest_files);
  const placed = breakdown.length > 0 ? levels(breakdown) : [];
  const topRows = placed.filter((item) => item.level === 1).map((item) => item.row);
  const inFolders = topRows.reduce((sum, row) => sum + row.bytes, 0);
  const filesInFolders = topRows.reduce((sum, row) => sum + row.files, 0);
  const loose = Math.max(0, usage.total_bytes - inFolders);
  const bars = placed.map(({ row, level }) =>
    bar(
      row.name,
      row.bytes,
      usage.total_bytes,
      `${row.files} files${row.newest ? ` · newest ${formatDate(row.newest).slice(0, 10)}` : ""}`,
      "folder",
      level,
    ),
  );
  if (loose > 0 || topRows.length === 0) {
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
    biggest.length > 0 ? el("h3", {}, "Biggest files") : null,
    biggest.length > 0
      ? el(
          "table",
          { class: "biggest" },
          el(
            "tbody",
            {},
            ...biggest.map((file) =>
              el(
                "tr",
                { "data-id": file.id },
                el("td", { class: "name" }, file.path ?? file.name ?? ""),
                el("td", { class: "num", "data-bytes": file.size ?? "" }, formatBytes(file.size ?? 0)),
                el("td", { class: "date" }, formatDate(file.modified)),
              ),
            ),
          ),
        )
      : null,
  );
}
