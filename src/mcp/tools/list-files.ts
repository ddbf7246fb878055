import { z } from "zod";
import { listingOutput } from "../compact.js";
import { defineTool } from "../define-tool.js";
import { UserInputError } from "../errors.js";
import { cappedLines, entryLine, formatBytes } from "../format.js";
import { type Listing, listFolder, MAX_PAGE_SIZE } from "../listing.js";
import * as params from "../params.js";
import { listingShape } from "../shapes.js";

export const listFiles = defineTool({
  name: "list_files",
  title: "List Vagon Files",
  description: `List a folder in Vagon Files: the shared folder, a machine's storage, or session recordings.
Use this tool when you need to:
- find the id of a file or folder before downloading, uploading into or deleting it
- see what a task produced (location 'machine' with task_id)
- search by name (query) or walk sub-folders (recursive)
Fetches up to \`limit\` entries across pages; says how to get more.
Structured entries omit nulls and defaults: status upload_completed, path = folder.path + '/' + name, machine_id = folder.machine_id.`,
  inputSchema: {
    location: params.location,
    machine_id: params.machineId
      .optional()
      .describe("Machine id: required for location 'machine'; optional filter for 'recordings'."),
    parent_id: params.parentId,
    query: z.string().min(1).max(255).optional().describe("Only entries whose name contains this text."),
    task_id: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("location 'machine' only: just the task's output and recording folders."),
    page: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Fetch only this page (with per_page) instead of using limit."),
    per_page: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe("Entries per page, 1–100."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        "Fetch as many pages as needed, up to this many entries (default 100). Over ~500, a result can exceed some hosts' tool-output caps (Claude Code: 25,000 tokens): prefer query or pages.",
      ),
    recursive: z.boolean().default(false).describe("Also list sub-folders (bounded by limit and max_depth)."),
    max_depth: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe("How many folder levels below parent_id to walk when recursive."),
  },
  outputSchema: listingShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    if (args.location === "machine" && args.machine_id === undefined) {
      throw new UserInputError("location 'machine' needs machine_id (the cloud computer's id).");
    }
    if (args.task_id !== undefined && args.location !== "machine") {
      throw new UserInputError("task_id works with location 'machine' and its machine_id.");
    }
    const listing = await listFolder(
      context.client,
      {
        location: args.location,
        machineId: args.location === "shared" ? undefined : args.machine_id,
        parentId: args.parent_id,
        query: args.query,
        taskId: args.task_id,
        page: args.page,
        perPage: args.per_page,
        limit: args.limit,
        recursive: args.recursive,
        maxDepth: args.max_depth,
      },
      context.extra.signal,
    );
    return {
      structured: listingOutput(listing, args.location === "machine" ? args.machine_id : undefined),
      text: renderListing(listing, args.page === undefined ? args.limit : undefined),
    };
  },
});

export function renderListing(listing: Listing, limit: number | undefined): string {
  const folderName = listing.folder
    ? `${listing.folder.path ?? listing.folder.name} (id=${listing.folder.id})`
    : "root";
  // `total` counts the listed folder only; a recursive walk adds sub-folder entries after it.
  const topLevel = listing.entries.filter((entry) => (entry.depth ?? 0) === 0).length;
  const inSubFolders = listing.entries.length - topLevel;
  const header = [
    `${folderName}: ${topLevel} of ${listing.total} entries${inSubFolders > 0 ? ` + ${inSubFolders} in sub-folders` : ""}`,
  ];
  if (listing.storage)
    header.push(`storage ${formatBytes(listing.storage.used)} of ${formatBytes(listing.storage.total)} used`);
  const lines = [
    header.join("; "),
    ...cappedLines(listing.entries, (entry) => entryLine(entry, entry.depth ?? 0)),
  ];
  if (listing.truncated) {
    if (listing.nextPage !== null) {
      // Pages before nextPage are all full, whether fetched now (limit) or earlier (page=K).
      const remaining = Math.max(0, listing.total - (listing.nextPage - 1) * listing.perPage);
      lines.push(`${remaining} more — call again with page=${listing.nextPage} per_page=${listing.perPage}`);
    } else if (limit !== undefined) {
      lines.push(`More entries exist — call again with a larger limit (now ${limit}) or narrow with query.`);
    }
  }
  return lines.join("\n");
}
