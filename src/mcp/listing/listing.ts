// Folder listings at scale: enough pages for `limit` entries (the largest page size, the rest
// fetched concurrently once the total is known), and bounded recursive walks. Shared by
// list_files and the folder resources.

import type {
  Entry,
  FileListPage,
  Folder,
  ListFilesParams,
  Location,
  VagonClient,
} from "../../vagon/types.js";
import { listFolderPages, type WalkedEntry, walkTree } from "../../vagon/walk.js";
import { UserInputError } from "../kit/errors.js";
import type { PagesAhead } from "../kit/pages-ahead.js";
import { TopK } from "../kit/top-k.js";

/** The largest page Vagon accepts. */
export const MAX_PAGE_SIZE = 100;

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
  /** Recursive listings: continue after the entry this names (a previous answer's next_cursor). */
  cursor?: string | undefined;
}

export interface ListedEntry extends Entry {
  depth?: number;
  /** Recursive listings: the folder the entry was listed in. */
  parentId?: number;
  /** Recursive listings: the walk order key (see walk.ts), so a cut can name where to continue. */
  position?: number[];
  /** Recursive listings: a folder at max_depth, which the walk did not enter (walk.ts). */
  unentered?: true;
}

export interface Listing {
  folder: Folder | null;
  entries: ListedEntry[];
  total: number;
  nextPage: number | null;
  /** Recursive listings cut by `limit`: pass as cursor to continue. */
  nextCursor: string | null;
  perPage: number;
  storage: { used: number; total: number } | null;
  /** Entries left out because of `limit` (recursive walks: at least this many). */
  truncated: boolean;
}

/**
 * `pagesAhead`: where a `limit` listing keeps the pages it fetched past the first, and where a
 * page asked for by number is looked for first (pages-ahead.ts).
 */
export async function listFolder(
  client: VagonClient,
  request: ListingRequest,
  signal?: AbortSignal,
  pagesAhead?: PagesAhead,
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
    const params = { ...base, page: request.page, perPage };
    const page = pagesAhead?.take(params) ?? (await client.listFiles(params, { signal }));
    return {
      ...fromFirstPage(page, perPage),
      entries: page.entries,
      nextPage: page.nextPage,
      nextCursor: null,
      truncated: page.nextPage !== null,
    };
  }

  if (request.recursive && request.maxDepth >= 1) return walkListing(client, request, signal);

  const { first, later, entries, nextPage, perPage } = await fetchUpTo(
    client,
    base,
    request.limit,
    request.perPage,
    signal,
  );
  for (const [index, page] of later.entries()) pagesAhead?.keep({ ...base, page: index + 2, perPage }, page);
  return {
    ...fromFirstPage(first, perPage),
    entries,
    nextPage,
    nextCursor: null,
    truncated: entries.length < first.total,
  };
}

/** Walk order: shallow before deep, then listing order within each level (breadth-first). */
function compareWalkKeys(depthA: number, positionA: number[], depthB: number, positionB: number[]): number {
  if (depthA !== depthB) return depthA - depthB;
  for (let index = 0; index < Math.min(positionA.length, positionB.length); index++) {
    const difference = (positionA[index] ?? 0) - (positionB[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return positionA.length - positionB.length;
}

/** "2:0.15.3": the walk key of the last entry returned, for the next call to start after. */
function encodeCursor(entry: { depth: number; position: number[] }): string {
  return `${entry.depth}:${entry.position.join(".")}`;
}

/**
 * A recursive listing with only its breadth-first first `keep` entries (the output budget's cut),
 * still in tree order, and the cursor that continues right after them.
 */
export function cutWalkedListing(listing: Listing, keep: number): Listing {
  const keyed = listing.entries.map((entry) => ({
    entry,
    depth: entry.depth ?? 0,
    position: entry.position ?? [],
  }));
  keyed.sort((a, b) => compareWalkKeys(a.depth, a.position, b.depth, b.position));
  const kept = keyed.slice(0, Math.max(0, keep));
  const last = kept.at(-1);
  kept.sort((a, b) => compareWalkKeys(0, a.position, 0, b.position));
  return {
    ...listing,
    entries: kept.map((item) => item.entry),
    nextPage: null,
    nextCursor: last ? encodeCursor(last) : listing.nextCursor,
    truncated: true,
  };
}

function decodeCursor(cursor: string): { depth: number; position: number[] } {
  const match = /^(\d{1,2}):(\d{1,9}(?:\.\d{1,9}){0,40})$/.exec(cursor.trim());
  if (!match) {
    throw new UserInputError(
      `cursor "${cursor}" is not one this server gave out; pass the next_cursor of the previous answer exactly (e.g. "1:3.17"), or leave it out to start over.`,
    );
  }
  return { depth: Number(match[1]), position: (match[2] ?? "").split(".").map(Number) };
}

/**
 * A recursive listing through the one walker: the first `limit` entries in breadth-first order
 * (after `cursor`), kept as a top-K so memory follows the limit, not the tree; pages and folders
 * that can't hold one of them are never fetched.
 */
async function walkListing(
  client: VagonClient,
  request: ListingRequest,
  signal?: AbortSignal,
): Promise<Listing> {
  const after = request.cursor ? decodeCursor(request.cursor) : null;
  const order = (a: WalkedEntry, b: WalkedEntry) => compareWalkKeys(a.depth, a.position, b.depth, b.position);
  const kept = new TopK<WalkedEntry>(request.limit, order);
  let eligible = 0;
  let skippedPages = false;
  const result = await walkTree(client, {
    location: request.location,
    machineId: request.machineId,
    parentId: request.parentId,
    query: request.query,
    taskId: request.taskId,
    maxDepth: request.maxDepth,
    signal,
    visit(entries) {
      for (const entry of entries) {
        if (after && compareWalkKeys(entry.depth, entry.position, after.depth, after.position) <= 0) continue;
        eligible += 1;
        kept.offer(entry);
      }
    },
    shouldList(folder, page) {
      const worst = kept.worst();
      if (!worst) return true;
      // The first entry this page could hold, against the last one kept.
      const depth = folder ? folder.depth + 1 : 0;
      const position = [...(folder?.position ?? []), (page - 1) * MAX_PAGE_SIZE];
      const useful = compareWalkKeys(depth, position, worst.depth, worst.position) < 0;
      if (!useful) skippedPages = true;
      return useful;
    },
  });
  // Tree order for reading: a parent's position is a prefix of its children's.
  const entries = kept.sorted().sort((a, b) => compareWalkKeys(0, a.position, 0, b.position));
  const more = eligible > entries.length || skippedPages || !result.complete;
  const last = kept.sorted().at(-1);
  return {
    folder: result.folder,
    entries: entries.map((entry) => ({ ...entry, depth: entry.depth })),
    total: result.total,
    nextPage: null,
    nextCursor: more && last ? encodeCursor(last) : null,
    perPage: MAX_PAGE_SIZE,
    storage: result.storage ? { used: result.storage.usedBytes, total: result.storage.totalBytes } : null,
    truncated: more,
  };
}

async function fetchUpTo(
  client: VagonClient,
  base: ListFilesParams,
  limit: number,
  perPageHint: number | undefined,
  signal?: AbortSignal,
): Promise<{
  first: FileListPage;
  later: FileListPage[];
  entries: Entry[];
  nextPage: number | null;
  perPage: number;
}> {
  const perPage = Math.min(MAX_PAGE_SIZE, perPageHint ?? MAX_PAGE_SIZE, Math.max(1, limit));
  const { first, later, entries, lastPage } = await listFolderPages(client, base, { perPage, limit, signal });
  const kept = entries.slice(0, limit);
  const more = kept.length < first.total;
  // A clean "next page" only exists when what we return ends on a page boundary.
  const nextPage = more && kept.length === lastPage * perPage ? lastPage + 1 : null;
  return { first, later, entries: kept, nextPage, perPage };
}

function fromFirstPage(page: FileListPage, perPage: number) {
  return {
    folder: page.folder,
    total: page.total,
    perPage,
    storage: page.storage ? { used: page.storage.usedBytes, total: page.storage.totalBytes } : null,
  };
}
