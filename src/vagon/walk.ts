// The one remote tree walker behind every tree-shaped job (recursive listings, find, usage,
// bulk delete). Breadth-first: a FIFO of folder pages, fetched with one bound on requests in
// flight; a folder's later pages go to the front so it finishes before deeper folders start.
// It keeps no entries: each page goes to the caller's visitor and is dropped, so memory is the
// queue of folders still to list plus whatever the visitor keeps (a top-K, running sums).
import { getMaxListeners, setMaxListeners } from "node:events";
import { capGrowthWhileWalking } from "../heap-growth.js";
import { runPool } from "../pool.js";
import { VagonError } from "./errors.js";
import type {
  Entry,
  FileListPage,
  Folder,
  ListFilesParams,
  Location,
  StorageUsage,
  VagonClient,
} from "./types.js";

/** The largest page Vagon accepts. */
export const WALK_PAGE_SIZE = 100;
/** Listings in flight at once: the client's pool keeps 16 sockets per origin. */
export const DEFAULT_WALK_CONCURRENCY = 16;
/** Entries scanned before a walk gives up and says it is incomplete. */
export const DEFAULT_SCAN_BUDGET = 100_000;

export interface WalkedEntry extends Entry {
  /** 0 = directly in the start folder. */
  depth: number;
  /** The folder listed to find this entry (the start folder's id for depth 0, 0 at a root). */
  parentId: number;
  /** Always set: the API's path, or the parent's path + "/" + name when the API sent none. */
  path: string;
  /** Index of each ancestor in its folder's listing, then this entry's own: the walk order key. */
  position: number[];
  /** A folder at maxDepth: the walk does not enter it, so nothing below it is seen. */
  unentered?: true;
}

export interface WalkProgress {
  scannedEntries: number;
  scannedFolders: number;
}

export interface WalkRequest {
  location: Location;
  machineId?: number | undefined;
  /** 0 = the location's root. */
  parentId: number;
  /** Folder levels below parentId to enter (0: only the start folder). */
  maxDepth: number;
  /** Only the start folder: Vagon's own name search / task filter. */
  query?: string | undefined;
  taskId?: number | undefined;
  concurrency?: number;
  scanBudget?: number;
  signal?: AbortSignal | undefined;
  /** Every page's entries, in the order they arrive. */
  visit(entries: WalkedEntry[]): void;
  /**
   * Asked before each page is fetched (`folder` null = the start folder); false skips that page,
   * and for page 1 of a sub-folder, the folder and everything below it.
   */
  shouldList?(folder: WalkedEntry | null, page: number): boolean;
  /** True ends the walk early (the visitor has what it needs); the walk still counts as complete. */
  isDone?(): boolean;
  onProgress?(progress: WalkProgress): void;
}

export interface WalkResult extends WalkProgress {
  /** The start folder as the API described it. */
  folder: Folder | null;
  /** Entries directly in the start folder. */
  total: number;
  storage: StorageUsage | null;
  /** False when the scan budget ran out before the tree did. */
  complete: boolean;
  /**
   * Folders found at maxDepth and not entered: what lies below them was not seen (callers whose
   * depth is a limit rather than the caller's choice report their result as incomplete).
   */
  unentered: { folders: number; first: { id: number; path: string } | null };
}

interface FolderTask {
  folder: WalkedEntry | null;
  page: number;
}

export async function walkTree(client: VagonClient, request: WalkRequest): Promise<WalkResult> {
  const releaseHeap = capGrowthWhileWalking();
  try {
    return await walk(client, request);
  } finally {
    releaseHeap();
  }
}

/** What the walk has learned so far, and the folder pages it still has to fetch. */
interface Scan {
  result: WalkResult;
  /** Folder pages to fetch, in order: a folder's later pages go to the front. */
  queue: FolderTask[];
  scanBudget: number;
  /** The start folder's path, known once its first page arrives. */
  startPath: string;
}

/** The listings in flight, and how the dispatcher learns that one landed. */
interface Flights {
  /** Most listings in flight at once. */
  limit: number;
  count: number;
  /** Set on the first failure and when the walk ends: pages that land afterwards are dropped. */
  stopped: boolean;
  /** The first listing's error: the walk's. */
  failure: unknown;
  /** Resolves the dispatcher's wait for a landing. */
  wake: (() => void) | null;
}

async function walk(client: VagonClient, request: WalkRequest): Promise<WalkResult> {
  const concurrency = request.concurrency ?? DEFAULT_WALK_CONCURRENCY;
  // Every listing in flight listens on the one signal: that many listeners are expected, not a leak.
  if (request.signal && getMaxListeners(request.signal) < concurrency + 8)
    setMaxListeners(concurrency + 8, request.signal);
  const scan: Scan = {
    result: {
      folder: null,
      total: 0,
      storage: null,
      complete: true,
      scannedEntries: 0,
      scannedFolders: 0,
      unentered: { folders: 0, first: null },
    },
    queue: [{ folder: null, page: 1 }],
    scanBudget: request.scanBudget ?? DEFAULT_SCAN_BUDGET,
    startPath: "",
  };
  const flights: Flights = { limit: concurrency, count: 0, stopped: false, failure: null, wake: null };
  await dispatch(request, scan, flights, (task) => listPage(client, request, scan, flights, task));
  await landAll(flights);
  if (flights.failure) throw flights.failure;
  return scan.result;
}

/**
 * Starts queued pages while fewer than `flights.limit` are in flight, until the queue and the
 * flights are empty, the scan budget is spent, the visitor is done or a listing failed.
 */
async function dispatch(
  request: WalkRequest,
  scan: Scan,
  flights: Flights,
  listPage: (task: FolderTask) => Promise<void>,
): Promise<void> {
  while (!flights.stopped) {
    if (request.isDone?.()) return;
    if (scan.result.scannedEntries >= scan.scanBudget) {
      if (scan.queue.length > 0 || flights.count > 0) scan.result.complete = false;
      return;
    }
    const task = flights.count < flights.limit ? scan.queue.shift() : undefined;
    if (task) {
      if (request.shouldList && !request.shouldList(task.folder, task.page)) continue;
      flights.count += 1;
      void listPage(task);
      continue;
    }
    if (flights.count === 0) return;
    await nextLanding(flights);
  }
}

/** One page in flight: fetched, then absorbed unless the walk stopped meanwhile; a failure stops it. */
async function listPage(
  client: VagonClient,
  request: WalkRequest,
  scan: Scan,
  flights: Flights,
  task: FolderTask,
): Promise<void> {
  try {
    const page = await fetchFolderPage(client, request, task);
    if (page && !flights.stopped) absorbPage(request, scan, task, page);
  } catch (error) {
    flights.failure ??= error;
    flights.stopped = true;
  } finally {
    flights.count -= 1;
    flights.wake?.();
  }
}

async function nextLanding(flights: Flights): Promise<void> {
  await new Promise<void>((resolve) => {
    flights.wake = resolve;
  });
  flights.wake = null;
}

/** Pages still in flight are dropped when they land; wait for them so none outlives the call. */
async function landAll(flights: Flights): Promise<void> {
  flights.stopped = true;
  while (flights.count > 0) await nextLanding(flights);
}

async function fetchFolderPage(
  client: VagonClient,
  request: WalkRequest,
  task: FolderTask,
): Promise<FileListPage | null> {
  const isStart = task.folder === null;
  const parentId = isStart ? request.parentId : (task.folder?.id ?? 0);
  try {
    return await client.listFiles(
      {
        location: request.location,
        ...(request.machineId !== undefined ? { machineId: request.machineId } : {}),
        ...(parentId > 0 ? { parentId } : {}),
        ...(isStart && request.query ? { query: request.query } : {}),
        ...(isStart && request.taskId !== undefined ? { taskId: request.taskId } : {}),
        page: task.page,
        perPage: WALK_PAGE_SIZE,
      },
      { signal: request.signal },
    );
  } catch (error) {
    // A sub-folder deleted while we walk has nothing left to find.
    if (!isStart && error instanceof VagonError && error.code === 404) return null;
    throw error;
  }
}

/** A page that arrived: its entries, within the budget, go to the visitor; its folders to the queue. */
function absorbPage(request: WalkRequest, scan: Scan, task: FolderTask, page: FileListPage): void {
  const { result } = scan;
  if (task.page === 1) enterFolder(scan, task, page);
  const depth = task.folder ? task.folder.depth + 1 : 0;
  const entries = withinBudget(scan, page.entries);
  const walked = walkedEntries(
    entries,
    task,
    depth,
    task.folder ? task.folder.path : scan.startPath,
    request,
  );
  if (depth >= request.maxDepth) markUnentered(result, walked);
  result.scannedEntries += walked.length;
  if (walked.length > 0) request.visit(walked);
  if (depth < request.maxDepth) {
    for (const entry of walked) if (entry.kind === "directory") scan.queue.push({ folder: entry, page: 1 });
  }
  request.onProgress?.({ scannedEntries: result.scannedEntries, scannedFolders: result.scannedFolders });
  if (result.scannedEntries >= scan.scanBudget && scan.queue.length > 0) result.complete = false;
}

/** Page 1 of a folder: count it, learn the start folder, and queue the folder's other pages. */
function enterFolder(scan: Scan, task: FolderTask, page: FileListPage): void {
  const { result } = scan;
  result.scannedFolders += 1;
  if (task.folder === null) {
    result.folder = page.folder;
    result.total = page.total;
    result.storage = page.storage;
    scan.startPath = page.folder?.path ?? "";
  }
  const pages = Math.ceil(page.total / WALK_PAGE_SIZE);
  // The rest of this folder before anything deeper.
  for (let next = pages; next >= 2; next--) scan.queue.unshift({ folder: task.folder, page: next });
}

/** The entries the scan budget still has room for; cutting any leaves the walk incomplete. */
function withinBudget(scan: Scan, entries: Entry[]): Entry[] {
  const room = scan.scanBudget - scan.result.scannedEntries;
  if (entries.length <= room) return entries;
  scan.result.complete = false;
  return entries.slice(0, Math.max(0, room));
}

function walkedEntries(
  entries: Entry[],
  task: FolderTask,
  depth: number,
  parentPath: string,
  request: WalkRequest,
): WalkedEntry[] {
  const parentId = task.folder ? task.folder.id : request.parentId;
  const parentPosition = task.folder ? task.folder.position : [];
  const firstIndex = (task.page - 1) * WALK_PAGE_SIZE;
  // Each field named (not `...entry`): one object literal of a fixed shape per entry, where a
  // spread copy cost several times the garbage on a 50,000-entry walk.
  return entries.map(
    (entry, index): WalkedEntry => ({
      id: entry.id,
      name: entry.name,
      kind: entry.kind,
      size: entry.size,
      content_type: entry.content_type,
      modified: entry.modified,
      status: entry.status,
      machine_id: entry.machine_id,
      depth,
      parentId,
      path: entry.path ?? `${parentPath}/${entry.name}`,
      position: [...parentPosition, firstIndex + index],
    }),
  );
}

/** Folders at maxDepth: marked and counted, not entered; what lies below them is not seen. */
function markUnentered(result: WalkResult, walked: WalkedEntry[]): void {
  for (const entry of walked) {
    if (entry.kind !== "directory") continue;
    entry.unentered = true;
    result.unentered.folders += 1;
    result.unentered.first ??= { id: entry.id, path: entry.path };
  }
}

/** Pages of one folder's listing fetched at once, past the first. */
const PAGES_IN_FLIGHT = 8;

/**
 * The one "all pages of a folder" loop: page 1, then once its total is known, the pages up to
 * `limit` entries (default: every entry), several at once. `lastPage` is the last page fetched.
 */
export async function listFolderPages(
  client: VagonClient,
  params: Omit<ListFilesParams, "page" | "perPage">,
  options: { perPage: number; limit?: number; signal?: AbortSignal | undefined },
): Promise<{ first: FileListPage; later: FileListPage[]; entries: Entry[]; lastPage: number }> {
  const { perPage, signal } = options;
  const first = await client.listFiles({ ...params, page: 1, perPage }, { signal });
  const wanted = Math.min(options.limit ?? Number.POSITIVE_INFINITY, first.total);
  const pagesNeeded = Math.ceil(wanted / perPage);
  const entries = [...first.entries];
  if (pagesNeeded <= 1 || first.nextPage === null) return { first, later: [], entries, lastPage: 1 };
  const pageNumbers = Array.from({ length: pagesNeeded - 1 }, (_, index) => index + 2);
  const later = await runPool(pageNumbers, PAGES_IN_FLIGHT, (page) =>
    client.listFiles({ ...params, page, perPage }, { signal }),
  );
  for (const page of later) entries.push(...page.entries);
  return { first, later, entries, lastPage: pagesNeeded };
}
