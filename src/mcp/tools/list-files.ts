import { z } from "zod";
import { countOf, formatBytes, groupDigits } from "../../units.js";
import { MAX_RESULT_ENTRIES } from "../kit/budget.js";
import { defineTool, type ToolOutput } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import {
  type ListingOutput,
  listingOutput,
  listingShape,
  loadTypeTable,
  type TypeForName,
} from "../listing/compact.js";
import { ENTRY_LINE_COLUMNS, entryLine } from "../listing/format.js";
import { cutWalkedListing, type Listing, listFolder, MAX_PAGE_SIZE } from "../listing/listing.js";

export const listFiles = defineTool({
  name: "list_files",
  title: "List Vagon Files",
  description: `List a folder in Vagon Files: the shared folder, a machine's storage, or session recordings.
Use this tool when you need to:
- find the id of a file or folder before downloading, uploading into or deleting it
- see what a task produced (location 'machine' with task_id)
Fetches up to \`limit\` entries across pages; says how to get more.`,
  inputSchema: {
    location: params.location,
    machine_id: params.machineId.optional().describe("Required for machine; filters recordings."),
    parent_id: params.parentId,
    query: z.string().min(1).max(255).optional().describe("Only entries whose name contains this text."),
    task_id: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("machine only: the task's output and recording folders."),
    page: z.number().int().positive().optional().describe("One page only (with per_page), instead of limit."),
    per_page: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe("Entries per page, 1–100."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        "Entries to fetch across pages (default 100); a result over the budget is cut and names the next page.",
      ),
    recursive: z.boolean().default(false).describe("Also list sub-folders."),
    cursor: z
      .string()
      .max(400)
      .optional()
      .describe("recursive: next_cursor of the previous call, to continue."),
    max_depth: z.number().int().min(1).max(20).default(3).describe("Levels to walk when recursive."),
  },
  outputSchema: listingShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    if (args.location === "machine" && args.machine_id === undefined) {
      throw new UserInputError(params.MACHINE_ID_NEEDED);
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
        limit: Math.min(args.limit, MAX_RESULT_ENTRIES),
        recursive: args.recursive,
        maxDepth: args.max_depth,
        cursor: args.cursor,
      },
      context.extra.signal,
      context.pagesAhead,
    );
    return listingResult(listing, {
      typeForName: await loadTypeTable(),
      machineId: args.location === "machine" ? args.machine_id : undefined,
      maxDepth: args.recursive ? args.max_depth : undefined,
      // Where the returned entries start in the folder: a cut must end on a page boundary.
      startOffset: args.page === undefined ? 0 : (args.page - 1) * listing.perPage,
      limit: args.page === undefined ? args.limit : undefined,
    });
  },
});

interface ListingResultOptions {
  typeForName: TypeForName;
  machineId: number | undefined;
  startOffset: number;
  /** The limit asked for (limit mode), undefined when paging by hand. */
  limit: number | undefined;
  /** Recursive listings: the deepest level walked; folders there were not opened. */
  maxDepth?: number | undefined;
  /** Cut short by the output budget, not by the caller. */
  cutForBudget?: boolean;
}

/** Structured and text forms of one listing, and how to cut it to the output budget. */
function listingResult(listing: Listing, options: ListingResultOptions): ToolOutput<ListingOutput> {
  const notOpened = notOpenedFolders(listing);
  return {
    structured: {
      ...listingOutput(listing, options.machineId, options.typeForName),
      ...(notOpened.length > 0 ? { not_opened: notOpened } : {}),
    },
    text: renderListing(listing, options),
    cut: {
      items: listing.entries.length,
      keep: (keep) =>
        listingResult(cutListing(listing, keep, options.startOffset), { ...options, cutForBudget: true }),
    },
  };
}

/**
 * The listing with at most `keep` entries. A flat listing is cut where a page ends, so "call
 * again with page=K per_page=P" continues exactly after the last entry shown; a recursive walk
 * has no page to continue at and says how to narrow it instead.
 */
export function cutListing(listing: Listing, keep: number, startOffset: number): Listing {
  const walked = listing.entries.some((entry) => (entry.depth ?? 0) > 0);
  if (walked && keep > 0 && listing.entries.every((entry) => entry.position !== undefined)) {
    return cutWalkedListing(listing, keep);
  }
  if (walked || keep <= 0) {
    return {
      ...listing,
      entries: listing.entries.slice(0, Math.max(0, keep)),
      nextPage: null,
      truncated: true,
    };
  }
  const page = pageAlignedCut(startOffset, keep, listing.perPage);
  return {
    ...listing,
    entries: listing.entries.slice(0, page.keep),
    nextPage: (startOffset + page.keep) / page.perPage + 1,
    perPage: page.perPage,
    truncated: true,
  };
}

/**
 * The most of `available` entries from offset `start` that end on a page boundary: whole pages
 * of the listing's own size when that many fit, else the largest page size that divides `start`.
 */
export function pageAlignedCut(
  start: number,
  available: number,
  perPage: number,
): { keep: number; perPage: number } {
  if (available >= perPage && start % perPage === 0) {
    return { keep: available - (available % perPage), perPage };
  }
  for (let size = Math.min(MAX_PAGE_SIZE, available); size > 1; size -= 1) {
    if (start % size === 0) return { keep: size, perPage: size };
  }
  return { keep: 1, perPage: 1 };
}

/** The folders a recursive walk stopped at (max_depth): listed, but not what is inside them. */
function notOpenedFolders(listing: Listing): number[] {
  return listing.entries.filter((entry) => entry.unentered).map((entry) => entry.id);
}

export function renderListing(
  listing: Listing,
  options: Pick<ListingResultOptions, "limit" | "cutForBudget" | "maxDepth" | "machineId">,
): string {
  const folderName = listing.folder
    ? `${listing.folder.path ?? listing.folder.name} (id=${listing.folder.id})`
    : "root";
  // `total` counts the listed folder only; a recursive walk adds sub-folder entries after it.
  const topLevel = listing.entries.filter((entry) => (entry.depth ?? 0) === 0).length;
  const inSubFolders = listing.entries.length - topLevel;
  const header = [
    `${folderName}: ${topLevel} of ${countOf(listing.total, "entry", "entries")}${inSubFolders > 0 ? ` + ${inSubFolders} in sub-folders` : ""} (${ENTRY_LINE_COLUMNS})`,
  ];
  if (listing.storage)
    header.push(`storage ${formatBytes(listing.storage.used)} of ${formatBytes(listing.storage.total)} used`);
  if (options.cutForBudget) header.push("cut to fit the output budget");
  // Every entry of the result is a line: the output budget, not a line cap, bounds the length.
  const notOpened = new Set(notOpenedFolders(listing));
  const lines = [
    header.join("; "),
    ...listing.entries.map((entry) =>
      entryLine(
        entry,
        entry.depth ?? 0,
        options.machineId,
        notOpened.has(entry.id) ? ["not opened"] : undefined,
      ),
    ),
  ];
  if (notOpened.size > 0) {
    const first = notOpened.values().next().value;
    lines.push(
      `Folders marked (not opened) are at max_depth ${options.maxDepth}: their contents were not listed. List one with parent_id=${first}${(options.maxDepth ?? 0) < 20 ? `, or call again with max_depth=${Math.min(20, (options.maxDepth ?? 0) + 1)}` : ""}.`,
    );
  }
  if (listing.truncated) {
    if (listing.nextPage !== null) {
      // Pages before nextPage are all full, whether fetched now (limit) or earlier (page=K).
      const remaining = Math.max(0, listing.total - (listing.nextPage - 1) * listing.perPage);
      lines.push(
        `${groupDigits(remaining)} more — call again with page=${listing.nextPage} per_page=${listing.perPage}`,
      );
    } else if (listing.nextCursor !== null) {
      lines.push(
        `More entries in sub-folders — call again with the same inputs and cursor="${listing.nextCursor}".`,
      );
    } else if (options.cutForBudget) {
      lines.push(
        "More entries exist — list a sub-folder with its id as parent_id, lower max_depth, or narrow with query.",
      );
    } else if (options.limit !== undefined) {
      lines.push(
        `More entries exist — call again with a larger limit (now ${options.limit}) or narrow with query.`,
      );
    }
  }
  return lines.join("\n");
}
