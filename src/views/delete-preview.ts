// ui://vagon/delete-preview: a delete_files preview as the exact list with sizes and the total,
// and one button that sends the confirm with the plan_id. The click is the consent: nothing is
// deleted before it, and the button is gone once pressed, so one click deletes at most once.
import { formatBytes } from "../units.js";
import { startView, type ToolArguments, textOf } from "./app.js";
import { button, el, formatDate, show } from "./dom.js";
import { type TableRecord, tableRows } from "./table.js";

interface Preview {
  status: "preview" | "changed";
  plan_id: string;
  count: number;
  bytes: number;
  /** A table (table.ts): id, path, size, modified. */
  items: unknown;
  expires_at?: string | null;
}
interface Deleted {
  status: "deleted";
  deleted: number;
  already_gone: number;
  failed: { id: number; name: string; message: string }[];
  bytes_freed: number;
}

const root = document.getElementById("app")!;
let request: ToolArguments = {};

const view = startView("delete-preview", {
  onInput(args) {
    request = args;
  },
  onResult(result, structured) {
    if (result.isError || !structured) {
      show(root, el("p", { class: "error", role: "alert" }, textOf(result) || "delete_files failed."));
    } else {
      renderAnswer(structured);
    }
    view.rendered();
  },
});

function renderAnswer(structured: Record<string, unknown>): void {
  if (structured.status === "declined") {
    show(
      root,
      el("p", { class: "summary result", "data-status": "declined" }, "Declined: nothing was deleted."),
    );
  } else if (structured.status === "deleted") renderDeleted(structured as unknown as Deleted);
  else if (structured.status === "preview" || structured.status === "changed")
    renderPreview(structured as unknown as Preview);
  else show(root, el("p", { class: "status" }, `Unexpected answer: ${String(structured.status)}`));
}

async function confirm(preview: Preview, controls: HTMLElement): Promise<void> {
  show(controls, el("span", { class: "muted" }, "Deleting…"));
  // The same selection as the preview (file_ids or filters), plus the plan it produced: the server
  // recomputes the set and deletes nothing if it is not exactly this one.
  const { confirm: _previous, ...selection } = request;
  try {
    const { structured } = await view.callTool("delete_files", { ...selection, confirm: preview.plan_id });
    renderAnswer(structured);
  } catch (error) {
    show(controls, el("p", { class: "error" }, (error as Error).message));
  }
}

function renderPreview(preview: Preview): void {
  const items: TableRecord[] = tableRows(preview.items);
  const unlisted = preview.count - items.length;
  const controls = el("div", { class: "controls" });
  const canConfirm = Object.keys(request).length > 0 && preview.count > 0;
  controls.append(
    canConfirm
      ? button(
          `Delete ${preview.count} ${preview.count === 1 ? "item" : "items"} (${formatBytes(preview.bytes)})`,
          () => void confirm(preview, controls),
          { class: "danger", "data-action": "confirm" },
        )
      : el(
          "p",
          { class: "muted" },
          preview.count === 0
            ? "Nothing matches."
            : "The host did not share the call's arguments; ask the agent to confirm.",
        ),
  );
  show(
    root,
    preview.status === "changed"
      ? el("p", { class: "warning" }, "The files changed since the last preview. Review the new set:")
      : null,
    el(
      "header",
      { class: "summary" },
      el("strong", { class: "count" }, `${preview.count} ${preview.count === 1 ? "item" : "items"}`),
      " · ",
      el("strong", { class: "total", "data-bytes": preview.bytes }, formatBytes(preview.bytes)),
      " will be deleted permanently",
    ),
    el(
      "table",
      { class: "items" },
      el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Size"), el("th", {}, "Modified"))),
      el(
        "tbody",
        {},
        ...items.map((item) =>
          el(
            "tr",
            { "data-id": item.id },
            el(
              "td",
              { class: "name" },
              `${item.name ?? ""}${item.kind === "directory" ? "/" : ""}`,
              item.path ? el("div", { class: "muted small" }, item.path) : null,
            ),
            el(
              "td",
              { class: "num", "data-bytes": item.size ?? "" },
              item.size ? formatBytes(item.size) : "",
            ),
            el("td", { class: "date", "data-modified": item.modified ?? "" }, formatDate(item.modified)),
          ),
        ),
      ),
    ),
    unlisted > 0 ? el("p", { class: "muted" }, `and ${unlisted} more not listed here`) : null,
    controls,
  );
}

function renderDeleted(result: Deleted): void {
  show(
    root,
    el(
      "header",
      { class: "summary result", "data-status": "deleted" },
      el("strong", { class: "deleted" }, `${result.deleted} deleted`),
      ` · ${formatBytes(result.bytes_freed)} freed`,
    ),
    el(
      "ul",
      {},
      el("li", { class: "already-gone" }, `${result.already_gone} already gone`),
      el("li", { class: "failed-count" }, `${result.failed.length} failed`),
    ),
    result.failed.length > 0
      ? el(
          "table",
          { class: "failed" },
          el(
            "tbody",
            {},
            ...result.failed.map((failure) =>
              el(
                "tr",
                { "data-id": failure.id },
                el("td", {}, failure.name),
                el("td", { class: "error" }, failure.message),
              ),
            ),
          ),
        )
      : null,
  );
}
