// What a crash leaves behind, and its sweep. A download killed mid-way leaves its hidden
// `.name.<12 hex>.partial`; an extraction killed mid-way leaves a half-filled folder, marked by
// EXTRACTING_MARKER while it runs. The sweep removes only those names, only in the folder it is
// given (callers pass checked folders inside a root), and only once they are older than any live
// transfer could leave them: a download writes its temp file continuously, an extraction
// refreshes its marker.
//
// A file's name and bytes can come from Vagon (a download, a zip entry), so neither is trusted
// as bookkeeping: downloads and extraction rename these reserved names, and a marker counts only
// when it carries an HMAC, under a key this install keeps outside every root, of the folder's
// and the marker's own inode numbers. A copied or forged marker proves nothing and is left alone.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type CheckedPath, checkedChild } from "./containment.js";

/** Present in a folder while an extraction fills it; its content says whether the folder is ours. */
export const EXTRACTING_MARKER = ".vagon-extracting";
/** Older than this and nothing is writing to it any more. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
/** The names files.ts's partialFileName() makes, and nothing else. */
const PARTIAL_NAME = /^\..{1,80}\.[0-9a-f]{12}\.partial$/su;
const MARKER_MAX_BYTES = 1024;

/**
 * A name only this server's own bookkeeping may carry. A file from Vagon or a zip with such a
 * name is saved as `_<name>` (case-insensitive: some file systems are).
 */
export function defuseReservedName(name: string): string {
  const reserved = name.toLowerCase() === EXTRACTING_MARKER || PARTIAL_NAME.test(name);
  return reserved ? `_${name}` : name;
}

/**
 * Where this install keeps its marker key: the user's state folder (`$XDG_STATE_HOME`, default
 * `~/.local/state`; `%LOCALAPPDATA%` on Windows), never a root.
 */
function keyFile(): string | null {
  const base =
    process.platform === "win32"
      ? process.env.LOCALAPPDATA
      : process.env.XDG_STATE_HOME || (os.homedir() ? path.join(os.homedir(), ".local", "state") : undefined);
  return base ? path.join(base, "vagon-files-mcp", "leftovers.key") : null;
}

/**
 * The install's key (made once when `create`, mode 0600, published atomically); null when there
 * is none or it can't be had.
 */
async function installKey(create: boolean): Promise<Buffer | null> {
  const file = keyFile();
  if (file === null) return null;
  try {
    const existing = await fs.readFile(file).catch((error: { code?: string }) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (existing !== null) return existing.length >= 32 ? existing : null;
    if (!create) return null;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const draft = `${file}.${randomBytes(6).toString("hex")}`;
    await fs.writeFile(draft, randomBytes(32), { mode: 0o600, flag: "wx" });
    // link() fails when another process published its key first: then theirs is the key.
    await fs.link(draft, file).catch((error: { code?: string }) => {
      if (error.code !== "EEXIST") throw error;
    });
    await fs.rm(draft, { force: true });
    const key = await fs.readFile(file);
    return key.length >= 32 ? key : null;
  } catch {
    // Without a key markers prove nothing, so a crash's leftovers stay: the safe side.
    return null;
  }
}

function markerMac(key: Buffer, ownFolder: boolean, folderIno: number, markerIno: number): string {
  return createHmac("sha256", key)
    .update(`vagon-extracting:v1:${ownFolder}:${folderIno}:${markerIno}`)
    .digest("hex");
}

export interface ExtractionMark {
  /** The extraction made this folder: a stale one is removed whole. Else only the marker goes. */
  ownFolder: boolean;
  /** Keeps the marker fresh during a long extraction (at most one write every 30 s). */
  refresh(): void;
  remove(): Promise<void>;
}

/** Marks `folder` as being filled by an extraction. */
export async function markExtraction(folder: CheckedPath, ownFolder: boolean): Promise<ExtractionMark> {
  const markerPath = checkedChild(folder, EXTRACTING_MARKER);
  const key = await installKey(true);
  const handle = await fs.open(
    markerPath,
    fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
    0o600,
  );
  try {
    const [marker, folderStats] = await Promise.all([handle.stat(), fs.lstat(folder)]);
    const mac = key ? markerMac(key, ownFolder, folderStats.ino, marker.ino) : null;
    await handle.writeFile(JSON.stringify({ ownFolder, pid: process.pid, mac }));
  } finally {
    await handle.close();
  }
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
  const key = entries.length > 0 ? await installKey(false) : null;
  for (const entry of entries) {
    const entryPath = path.join(folder, entry.name);
    try {
      if (entry.isFile() && PARTIAL_NAME.test(entry.name) && (await isStale(entryPath))) {
        await fs.unlink(entryPath);
        removed.push(entry.name);
      } else if (entry.isDirectory() && (await isStale(path.join(entryPath, EXTRACTING_MARKER)))) {
        const mark = await readMark(entryPath, key);
        if (mark === null) continue;
        if (mark.ownFolder) await fs.rm(entryPath, { recursive: true, force: true });
        else await fs.unlink(path.join(entryPath, EXTRACTING_MARKER));
        removed.push(`${entry.name}/`);
      } else if (entry.name === EXTRACTING_MARKER && (await isStale(entryPath))) {
        // An extraction into this folder itself: the files stay (the folder may hold others now).
        if ((await readMark(folder, key)) === null) continue;
        await fs.unlink(entryPath);
        removed.push(entry.name);
      }
    } catch {
      // Gone meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

/** The marker in `folder`, when it proves this install wrote it there; else null. */
async function readMark(folder: string, key: Buffer | null): Promise<{ ownFolder: boolean } | null> {
  if (key === null) return null;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(
      path.join(folder, EXTRACTING_MARKER),
      fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK,
    );
    const [marker, folderStats] = await Promise.all([handle.stat(), fs.lstat(folder)]);
    if (!marker.isFile() || marker.size > MARKER_MAX_BYTES || !folderStats.isDirectory()) return null;
    const parsed = JSON.parse(await handle.readFile("utf8")) as { ownFolder?: unknown; mac?: unknown };
    const ownFolder = parsed.ownFolder === true;
    if (typeof parsed.mac !== "string") return null;
    const expected = Buffer.from(markerMac(key, ownFolder, folderStats.ino, marker.ino), "hex");
    const given = Buffer.from(parsed.mac, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected) ? { ownFolder } : null;
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => {});
  }
}
