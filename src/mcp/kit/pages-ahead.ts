// Pages of a folder that a listing fetched but did not show: a `limit` listing fetches every page
// it may need at once, and the output budget then cuts the answer at a page's end, naming the next
// page. The pages past the cut are kept here, so the agent's next call (page=K, per_page) is
// answered without asking Vagon again: a limit of 1,000 cut to 100 entries answers the 9 calls
// that follow it (bench/list.ts: 50 calls over 5,000 entries, 0.26× → 0.21× the API walk's time).
// One per MCP session; a page is taken once, lives 30 s, and any call that changes files drops
// them all (a page kept from before would list what is gone).
import type { FileListPage, ListFilesParams } from "../../vagon/types.js";

export const PAGE_LIFETIME_MS = 30_000;
/** Two cut 1,000-entry listings' worth. */
const MAX_PAGES = 20;

export class PagesAhead {
  readonly #pages = new Map<string, { page: FileListPage; keptAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  keep(params: ListFilesParams, page: FileListPage): void {
    const key = keyOf(params);
    this.#pages.delete(key);
    this.#pages.set(key, { page, keptAt: this.#now() });
    // Oldest first: a Map iterates in insertion order.
    for (const oldest of this.#pages.keys()) {
      if (this.#pages.size <= MAX_PAGES) break;
      this.#pages.delete(oldest);
    }
  }

  /** The page kept for exactly these parameters, if still fresh; it is not kept any longer. */
  take(params: ListFilesParams): FileListPage | undefined {
    const key = keyOf(params);
    const kept = this.#pages.get(key);
    this.#pages.delete(key);
    return kept && this.#now() - kept.keptAt < PAGE_LIFETIME_MS ? kept.page : undefined;
  }

  clear(): void {
    this.#pages.clear();
  }
}

function keyOf(params: ListFilesParams): string {
  const { location, machineId, parentId, query, taskId, page, perPage } = params;
  return JSON.stringify([location, machineId, parentId, query, taskId, page, perPage]);
}
