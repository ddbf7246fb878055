// What a crash leaves behind, and its sweep. A download killed mid-way leaves its hidden
// `.name.<12 hex>.partial`; an extraction killed mid-way leaves a half-filled folder, marked by
// EXTRACTING_MARKER while it runs. The sweep removes only those names, only in the folder it is
// given (callers pass checked folders inside a root), and only once they are older than any live
// transfer could leave them: a download writes its temp file continuously, an extraction
// refreshes its marker.
import * as fs from "node:fs/promises";
import path from "node:path";

/** Present in a folder while an extraction fills it; its content says whether the folder is ours. */
export const EXTRACTING_MARKER = ".vagon-extracting";
/** Older than this and nothing is writing to it any more. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
/** The names download.ts's partialFileName() makes, and nothing else. */
const PARTIAL_NAME = /^\..{1,80}\.[0-9a-f]{12}\.partial$/su;

export interface ExtractionMark {
  /** The extraction made this folder: a stale one is removed whole. Else only the marker goes. */
  ownFolder: boolean;
  /** Keeps the marker fresh during a long extraction (at most one write every 30 s). */
  refresh(): void;
  remove(): Promise<void>;
}

/** Marks `folder` as being filled by an extraction. */
export async function markExtraction(folder: string, ownFolder: boolean): Promise<ExtractionMark> {
  const markerPath = path.join(folder, EXTRACTING_MARKER);
  await fs.writeFile(markerPath, JSON.stringify({ ownFolder, pid: process.pid }), { flag: "wx" });
  let refreshedAtMs = Date.now();
  return {
    ownFolder,
    refresh() {
      if (Date.now() - refreshedAtMs < 30_000) return;
      refreshedAtMs = Date.now();
      const now = new Date();
      void fs.utimes(markerPath, now, now).catch(() => {});
    },
    remove: () => fs.rm(markerPath, { force: true }),
  };
}

/**
 * Removes this server's stale leftovers directly in `folder`: old `.partial` files, folders an
 * interrupted extraction made (and the marker of one that extracted into `folder` itself).
 * Never follows a link, never fails the caller; returns what it removed (names, for the log).
 */
export async function sweepLeftovers(
  folder: string,
  options: { nowMs?: number; staleAfterMs?: number } = {},
): Promise<string[]> {
  const cutoffMs = (options.nowMs ?? Date.now()) - (options.staleAfterMs ?? STALE_AFTER_MS);
  const removed: string[] = [];
  const isStale = async (file: string) => {
    const stats = await fs.lstat(file).catch(() => null);
    return stats?.isFile() === true && stats.mtimeMs < cutoffMs;
  };
  // A folder that doesn't exist (yet) or can't be read holds nothing to sweep.
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const entryPath = path.join(folder, entry.name);
    try {
      if (entry.isFile() && PARTIAL_NAME.test(entry.name) && (await isStale(entryPath))) {
        await fs.unlink(entryPath);
        removed.push(entry.name);
      } else if (entry.isDirectory() && (await isStale(path.join(entryPath, EXTRACTING_MARKER)))) {
        const mark = await readMark(path.join(entryPath, EXTRACTING_MARKER));
        if (mark.ownFolder) await fs.rm(entryPath, { recursive: true, force: true });
        else await fs.unlink(path.join(entryPath, EXTRACTING_MARKER));
        removed.push(`${entry.name}/`);
      } else if (entry.name === EXTRACTING_MARKER && (await isStale(entryPath))) {
        // An extraction into this folder itself: the files stay (the folder may hold others now).
        await fs.unlink(entryPath);
        removed.push(entry.name);
      }
    } catch {
      // Gone meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

async function readMark(markerPath: string): Promise<{ ownFolder: boolean }> {
  try {
    const parsed = JSON.parse(await fs.readFile(markerPath, "utf8")) as { ownFolder?: unknown };
    return { ownFolder: parsed.ownFolder === true };
  } catch {
    return { ownFolder: false };
  }
}
