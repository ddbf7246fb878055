// ui://vagon/browser: list_files and find_files results as a folder browser. Folders open in
// place (the view calls list_files itself), "More" fetches the next page, image folders switch
// to thumbnails, and a file's actions call read_file / download_files. Nothing here changes a
// file: the browser only reads.
import { formatBytes } from "../units.js";
import { startView, type ToolArguments, textOf } from "./app.js";
import { button, el, formatDate, show } from "./dom.js";
import { imageGrid, isImage } from "./gallery-grid.js";
import { tableRows } from "./table.js";

interface Entry {
  id: number;
  name: string;
  kind?: "file" | "directory";
  size?: number | null;
  content_type?: string | null;
  modified?: string | null;
  path?: string | null;
  depth?: number;
  parent_id?: number | null;
}
/** list_files' and find_files' answers, their tables read as entries (table.ts). */
interface Listing {
  folder?: { id: number; name: string; path: string | null } | null;
  entries: unknown;
  total: number;
  next_page: number | null;
}
interface Found {
  matches: unknown;
  summary: { matched: number; matched_bytes: number; complete: boolean };
}
type SortKey = "name" | "size" | "modified";

/** Page size of the browser's own list_files calls. */
const PER_PAGE = 50;
const LOCATION_LABEL: Record<string, string> = {
  shared: "Shared",
  machine: "Machine",
  recordings: "Recordings",
};

const root = document.getElementById("app")!;
const state = {
  args: {} as ToolArguments,
  /** Folders opened from the root down; the last one is on screen. */
  trail: [] as { id: number; name: string }[],
  /** The model's query / task_id: its listing's next pages keep them, a folder opened drops them. */
  narrowing: {} as ToolArguments,
  /** The root folder's own name, when the model listed a root ("Teams Shared Folder"). */
  rootName: null as string | null,
  entries: [] as Entry[],
  total: 0,
  nextPage: null as number | null,
  perPage: PER_PAGE,
  /** find_files results: no folder of their own, paths shown. */
  found: null as Found["summary"] | null,
  sort: { key: "name" as SortKey, descending: false },
  mode: "table" as "table" | "gallery",
  status: "",
  /** The tool's own error text, when the model's call failed: shown instead of an empty table. */
  error: null as string | null,
  detail: null as Node | null,
};

const view = startView("browser", {
  onInput(args) {
    state.args = args;
    state.narrowing = {
      ...(args.query !== undefined ? { query: args.query } : {}),
      ...(args.task_id !== undefined ? { task_id: args.task_id } : {}),
    };
  },
  onResult(result, structured) {
    state.error = null;
    if (result.isError || !structured) {
      state.error = textOf(result) || "The tool call failed.";
    } else if (structured.matches !== undefined) {
      const found = structured as unknown as Found;
      state.found = found.summary;
      state.entries = tableRows(found.matches) as Entry[];
      state.total = found.summary.matched;
      state.nextPage = null;
      state.trail = [];
    } else {
      const listing = structured as unknown as Listing;
      takeListing(listing, false);
      // The trail starts at the model's folder, or is empty at a location's root, which the root
      // crumb stands for (named as the root folder is: "Teams Shared Folder").
      if (!state.args.parent_id || !listing.folder) {
        state.trail = [];
        state.rootName = listing.folder?.name ?? null;
      } else {
        state.trail = [{ id: listing.folder.id, name: listing.folder.name }];
      }
      // A page the model asked for continues at the same size.
      const perPage = Number(state.args.per_page ?? Math.min(100, Number(state.args.limit ?? 100)));
      if (Number.isFinite(perPage) && perPage > 0) state.perPage = perPage;
    }
    render();
    view.rendered();
  },
});

function takeListing(listing: Listing, append: boolean): void {
  state.found = null;
  // A recursive listing's deeper entries belong to folders that open in place.
  const entries = (tableRows(listing.entries) as Entry[]).filter(
    (entry) => !entry.depth && (entry.parent_id ?? null) === null,
  );
  state.entries = append ? [...state.entries, ...entries] : entries;
  state.total = listing.total;
  state.nextPage = listing.next_page;
}

function listArgs(parentId: number, page: number): ToolArguments {
  const { location, machine_id } = state.args;
  return {
    ...(location !== undefined ? { location } : {}),
    ...(machine_id !== undefined ? { machine_id } : {}),
    ...state.narrowing,
    parent_id: parentId,
    page,
    per_page: state.perPage,
  };
}

async function openFolder(trail: { id: number; name: string }[]): Promise<void> {
  state.status = "Loading…";
  state.detail = null;
  render();
  try {
    const parentId = trail.at(-1)?.id ?? 0;
    state.narrowing = {};
    const { structured } = await view.callTool("list_files", listArgs(parentId, 1));
    state.trail = trail;
    takeListing(structured as unknown as Listing, false);
    state.status = "";
  } catch (error) {
    state.status = (error as Error).message;
  }
  render();
}

async function loadMore(): Promise<void> {
  if (state.nextPage === null) return;
  state.status = "Loading…";
  render();
  try {
    const parentId = state.trail.at(-1)?.id ?? 0;
    const { structured } = await view.callTool("list_files", listArgs(parentId, state.nextPage));
    takeListing(structured as unknown as Listing, true);
    state.status = "";
  } catch (error) {
    state.status = (error as Error).message;
  }
  render();
}

async function readFile(entry: Entry): Promise<void> {
  state.detail = el("p", { class: "muted" }, `Reading ${entry.name}…`);
  render();
  try {
    const result = await view.callTool("read_file", { file_id: entry.id });
    const image = result.content.find((item) => item.type === "image");
    const text = typeof result.structured.text === "string" ? result.structured.text : null;
    state.detail = el(
      "section",
      { class: "detail" },
      el("h3", {}, entry.name),
      image
        ? el("img", { src: `data:${image.mimeType};base64,${image.data}`, alt: entry.name, class: "large" })
        : el(
            "pre",
            {},
            text ?? result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n"),
          ),
    );
  } catch (error) {
    state.detail = el("p", { class: "error" }, (error as Error).message);
  }
  render();
}

async function downloadLink(entry: Entry): Promise<void> {
  try {
    const { structured } = await view.callTool("download_files", { file_ids: [entry.id] });
    const url = String(structured.url ?? "");
    state.detail = el(
      "section",
      { class: "detail" },
      el("h3", {}, `Download link for ${entry.name}`),
      el("p", { class: "mono wrap" }, url),
      el(
        "p",
        {},
        button("Open link", () => void view.app.openLink({ url })),
      ),
    );
  } catch (error) {
    state.detail = el("p", { class: "error" }, (error as Error).message);
  }
  render();
}

function sorted(entries: Entry[]): Entry[] {
  const { key, descending } = state.sort;
  const value = (entry: Entry): number | string =>
    key === "name" ? entry.name.toLowerCase() : key === "size" ? (entry.size ?? -1) : (entry.modified ?? "");
  // Folders stay above files, as in every file manager; the chosen column orders each group.
  return [...entries].sort((left, right) => {
    if (left.kind !== right.kind) return left.kind === "directory" ? -1 : 1;
    const a = value(left);
    const b = value(right);
    const order = a < b ? -1 : a > b ? 1 : left.id - right.id;
    return descending ? -order : order;
  });
}

function header(key: SortKey, label: string): HTMLElement {
  const active = state.sort.key === key;
  const arrow = active ? (state.sort.descending ? " ▼" : " ▲") : "";
  return el(
    "th",
    { "aria-sort": active ? (state.sort.descending ? "descending" : "ascending") : "none" },
    button(
      `${label}${arrow}`,
      () => {
        // A new column starts with what people want first: A→Z names, biggest, newest.
        state.sort = active
          ? { key, descending: !state.sort.descending }
          : { key, descending: key !== "name" };
        render();
      },
      { class: "sort", "data-sort": key },
    ),
  );
}

function row(entry: Entry): HTMLElement {
  const folder = entry.kind === "directory";
  const name = folder
    ? button(`${entry.name}/`, () => void openFolder([...state.trail, { id: entry.id, name: entry.name }]), {
        class: "link folder",
      })
    : el("span", { class: "file" }, entry.name);
  return el(
    "tr",
    { "data-id": entry.id, "data-kind": entry.kind },
    el(
      "td",
      { class: "name" },
      name,
      state.found && entry.path ? el("div", { class: "muted small" }, entry.path) : null,
    ),
    el("td", { class: "num", "data-bytes": entry.size ?? "" }, folder ? "" : formatBytes(entry.size ?? 0)),
    el("td", { class: "date" }, formatDate(entry.modified)),
    el(
      "td",
      { class: "actions" },
      folder ? null : button("Read", () => void readFile(entry), { class: "small" }),
      folder ? null : button("Link", () => void downloadLink(entry), { class: "small" }),
    ),
  );
}

function breadcrumbs(): HTMLElement {
  const location = String(state.args.location ?? "shared");
  const rootLabel =
    state.rootName ??
    (location === "machine" && state.args.machine_id !== undefined
      ? `Machine ${String(state.args.machine_id)}`
      : (LOCATION_LABEL[location] ?? location));
  const nav = el("nav", { class: "crumbs", "aria-label": "Folder" });
  if (state.found) {
    nav.append(
      el(
        "span",
        {},
        `${state.found.matched} matches, ${formatBytes(state.found.matched_bytes)}${state.found.complete ? "" : " (scan incomplete)"}`,
      ),
    );
    return nav;
  }
  nav.append(button(rootLabel, () => void openFolder([]), { class: "link crumb" }));
  state.trail.forEach((folder, index) => {
    nav.append(el("span", { class: "sep" }, "/"));
    nav.append(
      index === state.trail.length - 1
        ? el("span", { class: "crumb current" }, folder.name)
        : button(folder.name, () => void openFolder(state.trail.slice(0, index + 1)), {
            class: "link crumb",
          }),
    );
  });
  return nav;
}

function render(): void {
  if (state.error !== null) {
    show(root, el("p", { class: "error", role: "alert" }, state.error));
    return;
  }
  const images = state.entries.filter(isImage);
  const toolbar = el(
    "div",
    { class: "toolbar" },
    breadcrumbs(),
    images.length > 0
      ? button(state.mode === "table" ? `Gallery (${images.length})` : "Table", () => {
          state.mode = state.mode === "table" ? "gallery" : "table";
          render();
        })
      : null,
  );
  const body =
    state.mode === "gallery" && images.length > 0
      ? imageGrid(images, (fileId) => view.callTool("read_file", { file_id: fileId }))
      : el(
          "table",
          {},
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              header("name", "Name"),
              header("size", "Size"),
              header("modified", "Modified"),
              el("th"),
            ),
          ),
          el("tbody", {}, ...sorted(state.entries).map(row)),
        );
  const shown = state.entries.length;
  const footer = el(
    "div",
    { class: "footer" },
    el("span", { class: "muted" }, `${shown} of ${state.total} shown`),
    state.nextPage !== null ? button("More", () => void loadMore(), { class: "more" }) : null,
  );
  show(
    root,
    toolbar,
    state.status ? el("p", { class: "status" }, state.status) : null,
    body,
    footer,
    state.detail,
  );
}
