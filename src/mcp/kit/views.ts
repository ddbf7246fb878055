// MCP Apps views (SEP-1865): ui://vagon/... resources holding one self-contained HTML file each,
// built into dist/views/ by scripts/build-views.mjs. TOOL_VIEWS says which tool shows which view
// (define-tool.ts adds the _meta when it registers a tool); hosts without MCP Apps ignore both and
// keep the text and structured results. The HTML is read from disk only when a host reads the resource,
// so a stdio start costs nothing more.
import { readFile } from "node:fs/promises";
import type { McpServer, ReadResourceResult } from "@modelcontextprotocol/server";
import { packageFile } from "../../config.js";
import { ToolError } from "./errors.js";

// The values of ext-apps' RESOURCE_MIME_TYPE and RESOURCE_URI_META_KEY (test/views checks they
// still are): importing @modelcontextprotocol/ext-apps/server would build its protocol schemas at
// every start for two strings.
export const VIEW_MIME_TYPE = "text/html;profile=mcp-app";
const LEGACY_URI_META_KEY = "ui/resourceUri";

export const VIEWS = {
  browser: {
    title: "Folder browser",
    description: "list_files and find_files results as a sortable folder table; folders open in place.",
  },
  gallery: { title: "Image gallery", description: "read_file images, larger on click." },
  usage: { title: "Storage chart", description: "storage_usage as bars per folder, and the biggest files." },
  "delete-preview": {
    title: "Delete preview",
    description: "delete_files previews: the exact set with sizes, and one button that confirms it.",
  },
} as const;
export type ViewName = keyof typeof VIEWS;

/** SPEC §3 "Views": the tools that name a view, by tool name. */
export const TOOL_VIEWS: Partial<Record<string, ViewName>> = {
  list_files: "browser",
  find_files: "browser",
  read_file: "gallery",
  storage_usage: "usage",
  delete_files: "delete-preview",
};

export function viewUri(view: ViewName): string {
  return `ui://vagon/${view}`;
}

/** The tool's `_meta`: the current key and the one hosts read before ext-apps 1.0. */
export function viewToolMeta(view: ViewName): Record<string, unknown> {
  return { ui: { resourceUri: viewUri(view) }, [LEGACY_URI_META_KEY]: viewUri(view) };
}

// No connect, resource or frame origin: the views fetch nothing, file bytes come through tools.
const VIEW_RESOURCE_META = { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } };

async function readView(uri: URL, view: ViewName): Promise<ReadResourceResult> {
  let html: string;
  try {
    html = await readFile(packageFile(`dist/views/${view}.html`), "utf8");
  } catch {
    throw new ToolError(
      `The ${view} view is missing from this installation (dist/views/${view}.html). Run \`npm run build\`, or reinstall vagon-files-mcp.`,
    );
  }
  return { contents: [{ uri: uri.href, mimeType: VIEW_MIME_TYPE, text: html, _meta: VIEW_RESOURCE_META }] };
}

export function registerViews(server: McpServer): void {
  for (const [view, { title, description }] of Object.entries(VIEWS) as [
    ViewName,
    (typeof VIEWS)[ViewName],
  ][]) {
    server.registerResource(
      `view-${view}`,
      viewUri(view),
      { title, description, mimeType: VIEW_MIME_TYPE, _meta: VIEW_RESOURCE_META },
      (uri) => readView(uri, view),
    );
  }
}
