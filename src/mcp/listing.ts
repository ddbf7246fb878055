// Folder listings at scale: enough pages for `limit` entries (the largest page size, the rest
// fetched concurrently once the total is known), and bounded recursive walks. Shared by
// list_files and the folder resources.
import pLimit from "p-limit";
import type { Entry, FileListPage, Folder, ListFilesParams, Location, VagonClient } from "../vagon/types.js";

/** The largest page Vagon accepts. */
export const MAX_PAGE_SIZE = 100;
const CONCURRENT_PAGES = 8;

export interface ListingRequest {
  location: Location;
  machineId?: number | undefined;
  parentId: number;
  query?: string | undefined;
  taskId?: number | undefined;
  /** A single page, when the caller pages by hand. */
  page?: number | undefined;
  perPage?: number | undefined;
  limit: number;
  recursive: boolean;
  maxDepth: number;
}

export interface ListedEntry extends Entry {
  depth?: number;
}

export interface Listing {
  folder: Folder | null;
  entries: ListedEntry[];
  total: number;
  nextPage: number | null;
  perPage: number;
  storage: { used: number; total: number } | null;
  /** Entries left out because of `limit` (recursive walks: at least this many). */
  truncated: boolean;
}

export async function listFolder(
  client: VagonClient,
  request: ListingRequest,
  signal?: AbortSignal,
): Promise<Listing> {
  const base: ListFilesParams = {
    location: request.location,
    ...(request.machineId !== undefined ? { machineId: request.machineId } : {}),
    ...(request.parentId > 0 ? { parentId: request.parentId } : {}),
    ...(request.query ? { query: request.query } : {}),
    ...(request.taskId !== undefined ? { taskId: request.taskId } : {}),
  };

  if (request.page !== undefined) {
    const perPage = request.perPage ?? 20;
    const page = await client.listFiles({ ...base, page: request.page, perPage }, { signal });
    return {
      ...fromFirstPage(page, perPage),
      entries: page.entries,
      nextPage: page.nextPage,
      truncated: page.nextPage !== null,
    };
  }

  const { first, entries, nextPage, perPage } = await fetchUpTo(
    client,
    base,
    request.limit,
    request.perPage,
    signal,
  );
  const listing: Listing = {
    ...fromFirstPage(first, perPage),
    entries,
    nextPage,
    truncated: entries.length < first.total,
  };
  if (!request.recursive || request.maxDepth < 1) return listing;

  // Breadth-first, one level at a time, so a limit keeps the shallow entries.
  const walked: ListedEntry[] = entries.map((entry) => ({ ...entry, depth: 0 }));
  const limiter = pLimit(CONCURRENT_PAGES);
  let frontier = walked.filter((entry) => entry.kind === "directory");
  let truncated = listing.truncated;
  for (
    let depth = 1;
    depth <= request.maxDepth && frontier.length > 0 && walked.length < request.limit;
    depth += 1
  ) {
    const children = await Promise.all(
      frontier.map((folder) =>
        limiter(async () => {
          const budget = request.limit - walked.length;
          if (budget <= 0) return { entries: [], total: 1, parent: folder };
          const result = await fetchUpTo(
            client,
            { ...base, parentId: folder.id, query: undefined, taskId: undefined },
            budget,
            undefined,
            signal,
          );
          return { entries: result.entries, total: result.first.total, parent: folder };
        }),
      ),
    );
    const next: ListedEntry[] = [];
    for (const child of children) {
      if (child.entries.length < child.total) truncated = true;
      // Insert children right after their parent so the text reads as a tree.
      const at = walked.indexOf(child.parent) + 1;
      const placed = child.entries.slice(0, Math.max(0, request.limit - walked.length));
      if (placed.length < child.entries.length) truncated = true;
      const withDepth = placed.map((entry) => ({ ...entry, depth }));
      walked.splice(at, 0, ...withDepth);
      next.push(...withDepth.filter((entry) => entry.kind === "directory"));
    }
    frontier = next;
  }
  return { ...listing, entries: walked, truncated };
}

async function fetchUpTo(
  client: VagonClient,
  base: ListFilesParams,
  limit: number,
  perPageHint: number | undefined,
  signal?: AbortSignal,
): Promise<{ first: FileListPage; entries: Entry[]; nextPage: number | null; perPage: number }> {
  const perPage = Math.min(MAX_PAGE_SIZE, perPageHint ?? MAX_PAGE_SIZE, Math.max(1, limit));
  const first = await client.listFiles({ ...base, page: 1, perPage }, { signal });
  const wanted = Math.min(limit, first.total);
  const pagesNeeded = Math.ceil(wanted / perPage);
  const entries = [...first.entries];
  let lastPage = 1;
  if (pagesNeeded > 1 && first.nextPage !== null) {
    const limiter = pLimit(CONCURRENT_PAGES);
    const pages = await Promise.all(
      Array.from({ length: pagesNeeded - 1 }, (_, index) =>
        limiter(() => client.listFiles({ ...base, page: index + 2, perPage }, { signal })),
      ),
    );
    for (const page of pages) entries.push(...page.entries);
    lastPage = pagesNeeded;
  }
  const kept = entries.slice(0, limit);
  const more = kept.length < first.total;
  // A clean "next page" only exists when what we return ends on a page boundary.
  const nextPage = more && kept.length === lastPage * perPage ? lastPage + 1 : null;
  return { first, entries: kept, nextPage, perPage };
}

function fromFirstPage(page: FileListPage, perPage: number) {
  return {
    folder: page.folder,
    total: page.total,
    perPage,
    storage: page.storage ? { used: page.storage.usedBytes, total: page.storage.totalBytes } : null,
  };
}
