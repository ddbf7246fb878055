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
  options.signal?.throwIfAborted();

  await fs.mkdir(destDir, { recursive: true });
  const destRoot = await fs.realpath(destDir);
  const destIdentity = await fs.stat(destRoot);
  // Loaded here, not at start-up: most sessions never extract anything.
  const { default: yauzl } = await import("yauzl");
  // decodeStrings: false, because yauzl would fail the whole archive on the first hostile
  // name; we decode names ourselves and refuse just that entry.
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, autoClose: false });
  const extraction = new Extraction(zip, destRoot, destIdentity, maxTotalBytes, options.signal);
  try {
    const entries = await readEntries(zip, maxEntries);
    await refuseWithoutRoom(entries, maxTotalBytes, destRoot, options.freeBytes ?? statfsFreeBytes);
    for (const [index, entry] of entries.entries()) {
      options.signal?.throwIfAborted();
      const rawName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      await extraction.extractEntry(entry, rawName);
      options.onProgress?.(index + 1, zip.entryCount);
    }
  } catch (error) {
    // Paths through a swapped folder lead somewhere else: remove nothing by path then.
    if (error instanceof DestinationChangedError)
      throw new Error(`Extraction stopped: ${error instanceof Error ? error.message : ""}`);
    await extraction.undo();
    throw error;
  } finally {
    zip.close();
  }
  return { files: extraction.files, skipped: extraction.skipped, totalBytes: extraction.totalBytes };
}

/**
 * The whole central directory, read before any byte is written, so archive-level refusals (too
 * many entries, entries that overlap) come first.
 */
async function readEntries(zip: yauzl.ZipFile, maxEntries: number): Promise<yauzl.Entry[]> {
  if (zip.entryCount > maxEntries) {
    throw new Error(
      `The archive has ${zip.entryCount} entries, more than the limit of ${maxEntries}; nothing was extracted.`,
    );
  }
  const entries: yauzl.Entry[] = [];
  for await (const entry of zip.eachEntry()) entries.push(entry);
  refuseOverlappingEntries(entries);
  return entries;
}

/** Refuses an archive whose entries (those that will be written) need more than the free space. */
async function refuseWithoutRoom(
  entries: yauzl.Entry[],
  maxTotalBytes: number,
  destRoot: string,
  freeBytesAt: (directory: string) => Promise<number>,
): Promise<void> {
  const plannedBytes = Math.min(
    maxTotalBytes,
    entries.reduce((sum, entry) => (ratioProblem(entry) === null ? sum + entry.uncompressedSize : sum), 0),
  );
  const freeBytes = await freeBytesAt(destRoot);
  if (plannedBytes > freeBytes) {
    throw new Error(
      `The archive needs ${formatBytes(plannedBytes)} but only ${formatBytes(freeBytes)} is free where it would be extracted; nothing was extracted. Free some space or extract somewhere else`,
    );
  }
}

/** Where an entry goes, as segments under destRoot; refuses names no file system would take. */
function plannedEntryPath(rawName: string, destRoot: string): { segments: string[]; isDirectory: boolean } {
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
  return planned;
}

/**
 * One extraction in progress: the destination it must stay inside, what it reports, and what it
 * created (removed again if the archive fails as a whole).
 */
class Extraction {
  /** Files written, relative to destRoot, with any " (n)" suffix. */
  readonly files: string[] = [];
  readonly skipped: SkippedEntry[] = [];
  /** Bytes written so far. */
  totalBytes = 0;
  /** Files this call created, and folders (in creation order): the undo list. */
  readonly #writtenPaths: string[] = [];
  readonly #createdDirs: string[] = [];
  /** Folders known to lead inside destRoot. */
  readonly #checkedDirs: Set<string>;

  constructor(
    readonly zip: yauzl.ZipFile,
    /** The destination's real path, and what it was (device, inode) when extraction began. */
    readonly destRoot: string,
    readonly destIdentity: { dev: number; ino: number },
    readonly maxTotalBytes: number,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#checkedDirs = new Set([destRoot]);
  }

  /** One entry: written, made (a folder), or skipped with its reason; throws only what stops the archive. */
  async extractEntry(entry: yauzl.Entry, rawName: string): Promise<void> {
    try {
      const planned = plannedEntryPath(rawName, this.destRoot);
      await this.verifyDestination();
      const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (fileType === S_IFLNK) throw new SkipEntry("it is a symbolic link");
      if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
        throw new SkipEntry("it is a special file (device, socket or pipe)");
      }
      if (planned.isDirectory || fileType === S_IFDIR) {
        await this.ensureDirectory(planned.segments);
      } else {
        this.refuseFileEntry(entry);
        await this.writeEntry(entry, planned.segments);
      }
    } catch (error) {
      const shown = displayName(rawName);
      if (errorCode(error) === "ENAMETOOLONG") {
        this.skipped.push({ entry: shown, reason: "its path is too long for this file system" });
      } else if (error instanceof SkipEntry) {
        this.skipped.push({ entry: shown, reason: error.message });
      } else {
        throw error;
      }
    }
  }

  /** A file entry that can't or mustn't be written: encrypted, unreadable, over the limit, a bomb. */
  refuseFileEntry(entry: yauzl.Entry): void {
    if (entry.isEncrypted()) throw new SkipEntry("it is encrypted");
    if (!entry.canDecodeFileData()) {
      throw new SkipEntry(`it uses an unsupported compression method (${entry.compressionMethod})`);
    }
    if (this.totalBytes + entry.uncompressedSize > this.maxTotalBytes) {
      throw new SkipEntry(
        `it is ${formatBytes(entry.uncompressedSize)}, more than the ${formatBytes(this.maxTotalBytes - this.totalBytes)} left of the extraction limit`,
      );
    }
    const bomb = ratioProblem(entry);
    if (bomb !== null) throw new SkipEntry(bomb);
  }

  /** Before each entry: the destination still is the folder we started in, reached by no link. */
  async verifyDestination(): Promise<void> {
    const { destRoot, destIdentity } = this;
    const now = (await isStillItself(destRoot)) ? await fs.lstat(destRoot).catch(() => null) : null;
    if (now === null || now.dev !== destIdentity.dev || now.ino !== destIdentity.ino) {
      throw new DestinationChangedError(
        `the destination folder ${destRoot} was moved or replaced by a link while extracting, so extraction stopped; what was written before stays where it went`,
      );
    }
  }

  /**
   * Creates each missing folder one level at a time, so a pre-existing link can't make us create
   * folders outside destRoot, and checks where every existing one really leads.
   */
  async ensureDirectory(segments: string[]): Promise<string> {
    let current = this.destRoot;
    for (const segment of segments) {
      current = path.join(current, segment);
      if (this.#checkedDirs.has(current)) continue;
      try {
        await fs.mkdir(current);
        this.#createdDirs.push(current);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
        await this.refuseExistingInTheWay(current, segment);
      }
      this.#checkedDirs.add(current);
    }
    const real = await fs.realpath(current);
    if (!isPathWithin(this.destRoot, real))
      throw new SkipEntry("its folder resolves outside the destination");
    return real;
  }

  /** What already exists at a folder's place must be a folder, or a link that stays inside. */
  async refuseExistingInTheWay(current: string, segment: string): Promise<void> {
    const stats = await fs.lstat(current);
    if (stats.isSymbolicLink()) {
      const target = await fs.realpath(current).catch(() => null);
      if (target === null || !isPathWithin(this.destRoot, target)) {
        throw new SkipEntry(`the folder "${segment}" on its path is a link leading outside the destination`);
      }
    } else if (!stats.isDirectory()) {
      throw new SkipEntry(`a file named "${segment}" is in the way of a folder of the same name`);
    }
  }

  async writeEntry(entry: yauzl.Entry, segments: string[]): Promise<void> {
    const parent = await this.ensureDirectory(segments.slice(0, -1));
    const { handle, filePath, finalName } = await this.createEntryFile(
      parent,
      segments[segments.length - 1] ?? "_",
    );
    const { counted, transform } = entryCounter(entry, this.totalBytes, this.maxTotalBytes);
    try {
      const entryStream = await this.zip.openReadStreamPromise(entry);
      await pipeline(entryStream, transform, handle.createWriteStream(), { signal: this.signal });
      if (counted.checksum !== entry.crc32) throw new SkipEntry("its content is damaged (checksum mismatch)");
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.rm(filePath, { force: true });
      this.#writtenPaths.pop();
      throw this.entryFailure(error);
    }
    this.totalBytes += counted.bytes;
    const modified = entry.getLastModDate();
    await fs.utimes(filePath, modified, modified).catch(() => {});
    this.files.push([...segments.slice(0, -1), finalName].join("/"));
  }

  /**
   * Creates the entry's file new in `parent`, never overwriting: an existing file or an earlier
   * entry of the same name gets a suffix. If the folder was swapped meanwhile, the empty file
   * landed elsewhere: takes back exactly that file (same inode) and stops.
   */
  async createEntryFile(
    parent: string,
    baseName: string,
  ): Promise<{ handle: fs.FileHandle; filePath: string; finalName: string }> {
    let handle: fs.FileHandle | undefined;
    let finalName = baseName;
    await raceSeam("extract:before-entry", parent);
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
    this.#writtenPaths.push(filePath);
    const [held, parentIsItself] = await Promise.all([handle.stat(), isStillItself(parent)]);
    if (!parentIsItself) {
      const named = await fs.lstat(filePath).catch(() => null);
      await handle.close().catch(() => {});
      this.#writtenPaths.pop();
      if (named && named.dev === held.dev && named.ino === held.ino)
        await fs.unlink(filePath).catch(() => {});
      throw new DestinationChangedError(
        `the folder of "${finalName}" was replaced by a link while extracting, so extraction stopped`,
      );
    }
    return { handle, filePath, finalName };
  }

  /** Why writing an entry failed: a skip for this entry, or (abort, a full disk) what stops all. */
  entryFailure(error: unknown): unknown {
    if (error instanceof SkipEntry || this.signal?.aborted) return error;
    if (FATAL_FS_CODES.has(errorCode(error) ?? "")) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (/too many bytes/.test(message)) {
      return new SkipEntry("it holds more bytes than its header says (a zip bomb or a damaged archive)");
    }
    return new SkipEntry(`it could not be read: ${message}`);
  }

  /** Leaves nothing half-done: removes what this call wrote, then the folders it created. */
  async undo(): Promise<void> {
    for (const filePath of this.#writtenPaths) await fs.rm(filePath, { force: true }).catch(() => {});
    for (const dir of this.#createdDirs.reverse()) await fs.rmdir(dir).catch(() => {});
  }
}

/**
 * Passes an entry's bytes on, counting them and their CRC-32; stops at more bytes than the
 * header says, or at the limit of bytes written in total.
 */
function entryCounter(entry: yauzl.Entry, writtenBefore: number, maxTotalBytes: number) {
  const counted = { bytes: 0, checksum: 0 };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counted.bytes += chunk.length;
      if (counted.bytes > entry.uncompressedSize) {
        callback(new SkipEntry("it holds more bytes than its header says (a zip bomb or a damaged archive)"));
        return;
      }
      if (writtenBefore + counted.bytes > maxTotalBytes) {
        callback(
          new SkipEntry(`extraction stopped at the limit of ${formatBytes(maxTotalBytes)} written in total`),
        );
        return;
      }
      counted.checksum = crc32(chunk, counted.checksum);
      callback(null, chunk);
    },
  });
  return { counted, transform };
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
