// Safe extraction of the zip bundles Vagon produces. A zip is untrusted input: its entry names
// can point anywhere, its headers can lie about sizes, and it can carry links. Every entry is
// checked before a byte is written, bytes are counted while streaming, and anything refused is
// reported with a reason instead of failing the whole archive.
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import type yauzl from "yauzl";
import { formatBytes } from "../units.js";
import { type CheckedPath, isPathWithin } from "./containment.js";
import { errorCode, isStillItself, WINDOWS_RESERVED_NAME, withCopySuffix } from "./files.js";
import { defuseReservedName } from "./leftovers.js";
import { raceSeam } from "./race-seam.js";

export const DEFAULT_MAX_EXTRACT_BYTES = 10 * 1024 ** 3;
export const DEFAULT_MAX_EXTRACT_ENTRIES = 100_000;
/**
 * An entry may expand at most this many times its compressed size. Deflate tops out near 1,032×;
 * real files (logs, CSV, source) stay well below 200×, a zip bomb's runs of zeros don't.
 */
export const MAX_COMPRESSION_RATIO = 200;
/** Entries up to this size are exempt from the ratio cap: a small file can't fill a disk. */
export const RATIO_EXEMPT_BYTES = 1024 * 1024;
/** NAME_MAX of every common file system, in bytes. */
const MAX_NAME_BYTES = 255;
/** Below Linux's PATH_MAX (4,096 bytes), with room for a " (n)" suffix. */
const MAX_PATH_BYTES = 4_000;

export interface ExtractOptions {
  /** Limit on bytes actually written, counted while streaming. Default 10 GiB. */
  maxTotalBytes?: number;
  /** Archives with more entries are refused before anything is written. Default 100,000. */
  maxEntries?: number;
  /** Called after each entry (file, folder or skipped): entries done, entries in the archive. */
  onProgress?: (doneFiles: number, totalFiles: number) => void;
  /** Aborting stops at once and removes everything this call wrote. */
  signal?: AbortSignal;
  /** Free bytes where `destDir` lives; default fs.statfs (tests pass a small disk). */
  freeBytes?: (directory: string) => Promise<number>;
}

/** The destination folder was moved or swapped for a link mid-way: stop, and touch nothing by path. */
class DestinationChangedError extends Error {}

async function statfsFreeBytes(directory: string): Promise<number> {
  const stats = await fs.statfs(directory);
  return stats.bavail * stats.bsize;
}

export interface SkippedEntry {
  /** The entry name as stored in the archive (control characters escaped). */
  entry: string;
  reason: string;
}

export interface ExtractResult {
  /** Files written, relative to destDir, forward slashes, with any " (n)" suffix applied. */
  files: string[];
  skipped: SkippedEntry[];
  /** Bytes written. */
  totalBytes: number;
}

export type EntryPath = { segments: string[]; isDirectory: boolean } | { reason: string };

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

// Errors after which carrying on with the next entry would only fail the same way.
const FATAL_FS_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM"]);

/**
 * Turns an entry name into path segments that can only land inside the destination, or a
 * reason to refuse it. Backslashes count as separators (zips written on Windows use them).
 * Pure, so it can be tested on its own for every platform.
 */
export function safeEntryPath(name: string, platform: NodeJS.Platform = process.platform): EntryPath {
  if (name.includes("\0")) return { reason: "its name contains a NUL character" };
  const normalized = name.replace(/\\/g, "/");
  if (normalized.startsWith("/")) return { reason: "it has an absolute path" };
  if (/^[a-zA-Z]:/.test(normalized)) return { reason: "it has an absolute Windows path (drive letter)" };
  const rawSegments = normalized.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (rawSegments.includes(".."))
    return { reason: "its path uses '..' to climb out of the destination folder" };
  const isDirectory = normalized.endsWith("/");
  if (rawSegments.length === 0) {
    return isDirectory ? { segments: [], isDirectory } : { reason: "it has no name" };
  }
  return { segments: rawSegments.map((segment) => cleanSegment(segment, platform)), isDirectory };
}

function cleanSegment(segment: string, platform: NodeJS.Platform): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
  let cleaned = segment.replace(/[\x00-\x1f\x7f]/g, "_");
  if (platform === "win32") {
    // On Windows "a:b" names an alternate data stream and "CON" a device: neither is a file.
    cleaned = cleaned.replace(/[<>:"|?*]/g, "_").replace(/[. ]+$/, "");
    if (WINDOWS_RESERVED_NAME.test(cleaned)) cleaned = `_${cleaned}`;
  }
  // A zip can't plant this server's bookkeeping (an extraction marker, a .partial) either.
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : defuseReservedName(cleaned);
}

function displayName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: make control characters visible in reports
  return name.replace(/[\x00-\x1f\x7f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** An entry-level refusal: reported in `skipped`, extraction carries on. */
class SkipEntry extends Error {}

export async function extractZip(
  zipPath: CheckedPath,
  destDir: CheckedPath,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_EXTRACT_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_EXTRACT_ENTRIES;
  const { signal, onProgress } = options;
  signal?.throwIfAborted();

  await fs.mkdir(destDir, { recursive: true });
  const destRoot = await fs.realpath(destDir);
  const destIdentity = await fs.stat(destRoot);
  // Before each entry: the destination still is the folder we started in, reached by no link.
  const verifyDestination = async () => {
    const now = (await isStillItself(destRoot)) ? await fs.lstat(destRoot).catch(() => null) : null;
    if (now === null || now.dev !== destIdentity.dev || now.ino !== destIdentity.ino) {
      throw new DestinationChangedError(
        `the destination folder ${destRoot} was moved or replaced by a link while extracting, so extraction stopped; what was written before stays where it went`,
      );
    }
  };
  // Loaded here, not at start-up: most sessions never extract anything.
  const { default: yauzl } = await import("yauzl");
  // decodeStrings: false, because yauzl would fail the whole archive on the first hostile
  // name; we decode names ourselves and refuse just that entry.
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, autoClose: false });

  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  const writtenPaths: string[] = [];
  const createdDirs: string[] = [];
  const checkedDirs = new Set<string>([destRoot]);
  let totalBytes = 0;
  let done = 0;

  // Creates each missing folder one level at a time, so a pre-existing link can't make us
  // create folders outside destRoot, and checks where every existing one really leads.
  const ensureDirectory = async (segments: string[]): Promise<string> => {
    let current = destRoot;
    for (const segment of segments) {
      current = path.join(current, segment);
      if (checkedDirs.has(current)) continue;
      try {
        await fs.mkdir(current);
        createdDirs.push(current);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
        const stats = await fs.lstat(current);
        if (stats.isSymbolicLink()) {
          const target = await fs.realpath(current).catch(() => null);
          if (target === null || !isPathWithin(destRoot, target)) {
            throw new SkipEntry(
              `the folder "${segment}" on its path is a link leading outside the destination`,
            );
          }
        } else if (!stats.isDirectory()) {
          throw new SkipEntry(`a file named "${segment}" is in the way of a folder of the same name`);
        }
      }
      checkedDirs.add(current);
    }
    const real = await fs.realpath(current);
    if (!isPathWithin(destRoot, real)) throw new SkipEntry("its folder resolves outside the destination");
    return real;
  };

  const writeEntry = async (entry: yauzl.Entry, segments: string[]): Promise<void> => {
    const parent = await ensureDirectory(segments.slice(0, -1));
    const baseName = segments[segments.length - 1] ?? "_";
    let handle: fs.FileHandle | undefined;
    let finalName = baseName;
    await raceSeam("extract:before-entry", parent);
    // Never overwrite: an existing file or an earlier entry of the same name gets a suffix.
    for (let copy = 0; handle === undefined; copy += 1) {
      finalName = withCopySuffix(baseName, copy);
      try {
        handle = await fs.open(
          path.join(parent, finalName),
          fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
        );
      } catch (error) {
        if (errorCode(error) !== "EEXIST" || copy >= 10_000) throw error;
      }
    }
    const filePath = path.join(parent, finalName);
    writtenPaths.push(filePath);
    // Created through the folder checked a moment ago? If it was swapped meanwhile, the empty
    // file landed elsewhere: take back exactly that file (same inode) and stop.
    const [held, parentIsItself] = await Promise.all([handle.stat(), isStillItself(parent)]);
    if (!parentIsItself) {
      const named = await fs.lstat(filePath).catch(() => null);
      await handle.close().catch(() => {});
      writtenPaths.pop();
      if (named && named.dev === held.dev && named.ino === held.ino)
        await fs.unlink(filePath).catch(() => {});
      throw new DestinationChangedError(
        `the folder of "${finalName}" was replaced by a link while extracting, so extraction stopped`,
      );
    }

    let entryBytes = 0;
    let checksum = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        entryBytes += chunk.length;
        if (entryBytes > entry.uncompressedSize) {
          callback(
            new SkipEntry("it holds more bytes than its header says (a zip bomb or a damaged archive)"),
          );
          return;
        }
        if (totalBytes + entryBytes > maxTotalBytes) {
          callback(
            new SkipEntry(
              `extraction stopped at the limit of ${formatBytes(maxTotalBytes)} written in total`,
            ),
          );
          return;
        }
        checksum = crc32(chunk, checksum);
        callback(null, chunk);
      },
    });
    try {
      const entryStream = await zip.openReadStreamPromise(entry);
      await pipeline(entryStream, counter, handle.createWriteStream(), { signal });
      if (checksum !== entry.crc32) throw new SkipEntry("its content is damaged (checksum mismatch)");
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.rm(filePath, { force: true });
      writtenPaths.pop();
      if (error instanceof SkipEntry || signal?.aborted) throw error;
      if (FATAL_FS_CODES.has(errorCode(error) ?? "")) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/too many bytes/.test(message)) {
        throw new SkipEntry("it holds more bytes than its header says (a zip bomb or a damaged archive)");
      }
      throw new SkipEntry(`it could not be read: ${message}`);
    }
    totalBytes += entryBytes;
    const modified = entry.getLastModDate();
    await fs.utimes(filePath, modified, modified).catch(() => {});
    files.push([...segments.slice(0, -1), finalName].join("/"));
  };

  try {
    if (zip.entryCount > maxEntries) {
      throw new Error(
        `The archive has ${zip.entryCount} entries, more than the limit of ${maxEntries}; nothing was extracted.`,
      );
    }
    // The whole central directory first: archive-level refusals come before any byte is written.
    const entries: yauzl.Entry[] = [];
    for await (const entry of zip.eachEntry()) entries.push(entry);
    refuseOverlappingEntries(entries);
    const plannedBytes = Math.min(
      maxTotalBytes,
      entries.reduce((sum, entry) => (ratioProblem(entry) === null ? sum + entry.uncompressedSize : sum), 0),
    );
    const freeBytes = await (options.freeBytes ?? statfsFreeBytes)(destRoot);
    if (plannedBytes > freeBytes) {
      throw new Error(
        `The archive needs ${formatBytes(plannedBytes)} but only ${formatBytes(freeBytes)} is free where it would be extracted; nothing was extracted. Free some space or extract somewhere else`,
      );
    }

    for (const entry of entries) {
      signal?.throwIfAborted();
      const rawName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      const shown = displayName(rawName);
      try {
        const planned = safeEntryPath(rawName);
        if ("reason" in planned) throw new SkipEntry(planned.reason);
        if (planned.segments.some((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES)) {
          throw new SkipEntry(
            `a name on its path is longer than ${MAX_NAME_BYTES} bytes, more than file systems allow`,
          );
        }
        if (Buffer.byteLength(path.join(destRoot, ...planned.segments)) > MAX_PATH_BYTES) {
          throw new SkipEntry(
            `its path (${planned.segments.length} levels) is longer than the ${MAX_PATH_BYTES} bytes file systems allow`,
          );
        }
        await verifyDestination();
        const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
        if (fileType === S_IFLNK) throw new SkipEntry("it is a symbolic link");
        if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
          throw new SkipEntry("it is a special file (device, socket or pipe)");
        }
        if (planned.isDirectory || fileType === S_IFDIR) {
          await ensureDirectory(planned.segments);
        } else if (entry.isEncrypted()) {
          throw new SkipEntry("it is encrypted");
        } else if (!entry.canDecodeFileData()) {
          throw new SkipEntry(`it uses an unsupported compression method (${entry.compressionMethod})`);
        } else if (totalBytes + entry.uncompressedSize > maxTotalBytes) {
          throw new SkipEntry(
            `it is ${formatBytes(entry.uncompressedSize)}, more than the ${formatBytes(maxTotalBytes - totalBytes)} left of the extraction limit`,
          );
        } else if (ratioProblem(entry) !== null) {
          throw new SkipEntry(ratioProblem(entry) as string);
        } else {
          await writeEntry(entry, planned.segments);
        }
      } catch (error) {
        if (errorCode(error) === "ENAMETOOLONG") {
          skipped.push({ entry: shown, reason: "its path is too long for this file system" });
        } else if (error instanceof SkipEntry) {
          skipped.push({ entry: shown, reason: error.message });
        } else {
          throw error;
        }
      }
      done += 1;
      onProgress?.(done, zip.entryCount);
    }
  } catch (error) {
    // Paths through a swapped folder lead somewhere else: remove nothing by path then.
    if (error instanceof DestinationChangedError)
      throw new Error(`Extraction stopped: ${error instanceof Error ? error.message : ""}`);
    // Leave nothing half-done: remove what this call wrote, then the folders it created.
    for (const filePath of writtenPaths) await fs.rm(filePath, { force: true }).catch(() => {});
    for (const dir of createdDirs.reverse()) await fs.rmdir(dir).catch(() => {});
    throw error;
  } finally {
    zip.close();
  }
  return { files, skipped, totalBytes };
}

/** Why an entry's declared sizes make it a bomb, or null. */
function ratioProblem(entry: yauzl.Entry): string | null {
  return compressionRatioProblem(entry.compressedSize, entry.uncompressedSize);
}

/** The ratio rule, shared with read_file's zip members: why these sizes make a bomb, or null. */
export function compressionRatioProblem(compressedBytes: number, uncompressedBytes: number): string | null {
  if (uncompressedBytes <= RATIO_EXEMPT_BYTES) return null;
  const ratio = uncompressedBytes / Math.max(1, compressedBytes);
  if (ratio <= MAX_COMPRESSION_RATIO) return null;
  return `it would expand ${Math.round(ratio)}× (${formatBytes(compressedBytes)} to ${formatBytes(uncompressedBytes)}), more than the ${MAX_COMPRESSION_RATIO}× a real file reaches (a zip bomb)`;
}

/**
 * Refuses an archive whose entries share bytes: 100 entries pointing at one 5 MiB body is 10 KB
 * that writes 500 MB. Each local header (30 bytes + name) and its data must end before the next
 * entry's header begins.
 */
function refuseOverlappingEntries(entries: yauzl.Entry[]): void {
  const byOffset = [...entries].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader);
  for (let index = 1; index < byOffset.length; index += 1) {
    const previous = byOffset[index - 1]!;
    const previousEnd =
      previous.relativeOffsetOfLocalHeader + 30 + previous.fileNameRaw.length + previous.compressedSize;
    if (byOffset[index]!.relativeOffsetOfLocalHeader < previousEnd) {
      throw new Error(
        "The archive's entries overlap (several names point at the same bytes, a trick to make a small zip write far more than its size); nothing was extracted",
      );
    }
  }
}
