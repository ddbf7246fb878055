// The user's disk, as this server writes to it: the one flushing writer (a download streamed to
// its temp file, or ranges written at their offsets), the one rule for a name that is free and
// safe on any OS, and the one check that a folder checked a moment ago is still itself.
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { type CheckedPath, checkedChild } from "./containment.js";
import { defuseReservedName } from "./leftovers.js";

/** The `code` of a Node or undici error, or "" when it has none. */
export function errorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
}

// ── The folder is still itself ────────────────────────────────────────────────────────────────

/** The checked folder still is what was checked: its real path is itself (no link swapped in). */
export async function isStillItself(folder: string): Promise<boolean> {
  return (await fs.realpath(folder).catch(() => null)) === folder;
}

// ── Names ──────────────────────────────────────────────────────────────────────────────────────

/** Device names Windows reserves in any folder, with any extension (COM¹–³ and LPT¹–³ too). */
export const WINDOWS_RESERVED_NAME =
  /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;

const MAX_NAME_BYTES = 200;

/**
 * A file name that is safe in any folder on any OS: the last path component only, with
 * control characters, separators and characters Windows reserves replaced, no trailing dots or
 * spaces, device names and this server's bookkeeping names defused, at most 200 bytes (extension
 * kept). Falls back to "download".
 */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
  let cleaned = base.replace(/[\x00-\x1f\x7f<>:"|?*]/g, "_").trim();
  cleaned = cleaned.replace(/[. ]+$/, "");
  if (cleaned === "" || /^\.+$/.test(cleaned)) return "download";
  if (WINDOWS_RESERVED_NAME.test(cleaned)) cleaned = `_${cleaned}`;
  cleaned = defuseReservedName(cleaned);
  if (Buffer.byteLength(cleaned) > MAX_NAME_BYTES) {
    const extension = path.extname(cleaned).slice(0, 20);
    let stem = cleaned.slice(0, cleaned.length - path.extname(cleaned).length);
    while (Buffer.byteLength(stem + extension) > MAX_NAME_BYTES)
      stem = Array.from(stem).slice(0, -1).join("");
    cleaned = stem + extension;
  }
  return cleaned;
}

/**
 * "report.pdf" → "report (1).pdf"; ".env" → ".env (1)". A folder's name has no extension:
 * "photos.2024" → "photos.2024 (1)".
 */
export function withCopySuffix(name: string, copy: number, kind: "file" | "folder" = "file"): string {
  if (copy === 0) return name;
  const extension = kind === "file" ? path.extname(name) : "";
  const stem = extension ? name.slice(0, -extension.length) : name;
  return `${stem} (${copy})${extension}`;
}

/** The hidden name a download is written under; the stale-file sweep recognizes exactly these. */
export function partialFileName(fileName: string): string {
  return `.${fileName.slice(0, 80)}.${randomBytes(6).toString("hex")}.partial`;
}

/**
 * Gives the finished temp file the first free name among "name.ext", "name (1).ext", …
 * link() fails when the name exists, so a file created meanwhile is never clobbered. Where
 * hard links aren't supported (FAT, some network shares), the name is claimed with an
 * exclusive create and the temp file renamed over that claim.
 */
export async function moveToFreeName(
  tempPath: CheckedPath,
  directory: CheckedPath,
  fileName: string,
): Promise<CheckedPath> {
  let canLink = true;
  for (let copy = 0; copy < 10_000; copy += 1) {
    const candidate = checkedChild(directory, withCopySuffix(fileName, copy));
    try {
      if (canLink) {
        await fs.link(tempPath, candidate);
        await fs.unlink(tempPath);
      } else {
        await (await fs.open(candidate, "wx")).close();
        await fs.rename(tempPath, candidate);
      }
      return candidate;
    } catch (error) {
      const code = errorCode(error);
      if (code === "EEXIST") continue;
      if (
        canLink &&
        ["EPERM", "ENOTSUP", "ENOSYS", "EOPNOTSUPP", "EXDEV", "EMLINK", "EACCES"].includes(code)
      ) {
        canLink = false;
        copy -= 1;
        continue;
      }
      throw error;
    }
  }
  throw new Error(`No free name for ${fileName} in ${directory}.`);
}

/** Creates and returns the first free folder among "name", "name (1)", … inside `parent`. */
export async function freeFolderName(parent: CheckedPath, name: string): Promise<CheckedPath> {
  for (let copy = 0; ; copy += 1) {
    const candidateName = withCopySuffix(name, copy, "folder");
    // "", "." and ".." name the parent or its parent, which exist: taken, like any existing name.
    if (candidateName === "" || candidateName === "." || candidateName === "..") continue;
    const candidate = checkedChild(parent, candidateName);
    try {
      await fs.mkdir(candidate);
      return candidate;
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error;
    }
  }
}

// ── The flushing writer ───────────────────────────────────────────────────────────────────────

declare const createdNew: unique symbol;

/**
 * A file created new at a checked path, held open: the only kind of handle the flushing writer
 * writes to, so no byte goes to a file that was opened some other way.
 */
export type NewFileHandle = fs.FileHandle & { readonly [createdNew]: true };

/** Creates `filePath` new for reading and writing: exclusive, following no link, private to this user. */
export async function createNewFile(filePath: CheckedPath): Promise<NewFileHandle> {
  const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
  return (await fs.open(filePath, flags, 0o600)) as NewFileHandle;
}

/** Bytes a writer batches per write: few large writes instead of the socket's 64 KB chunks. */
export const WRITE_BUFFER_BYTES = 1024 * 1024;
/** How much a writer lets pile up unflushed before it starts the next datasync. */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/** What is left of `buffers` once the first `count` bytes are gone (a short write). */
export function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) skip -= buffer.length;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

/**
 * Writes every byte of `buffers` at `position`, however short the writes, and flushes to disk as
 * it goes: a datasync every 64 MiB, one at a time, overlapping the network. Flushing only at the
 * end left a 1 GiB download waiting ~0.9 s for the disk after its last byte had arrived; now only
 * the last stretch is left. Many writers (ranges of one file) may share one flusher.
 */
export function createFlushingWriter(handle: NewFileHandle) {
  let unflushed = 0;
  let flushing: Promise<void> | null = null;
  return {
    async writeAt(buffers: Buffer[], position: number, onBytes?: (count: number) => void): Promise<void> {
      let pending = buffers;
      let at = position;
      while (pending.length > 0) {
        const { bytesWritten } = await handle.writev(pending, at);
        at += bytesWritten;
        unflushed += bytesWritten;
        onBytes?.(bytesWritten);
        pending = dropBytes(pending, bytesWritten);
      }
      if (unflushed < FLUSH_EVERY_BYTES || flushing !== null) return;
      unflushed = 0;
      const current = handle.datasync().finally(() => {
        if (flushing === current) flushing = null;
      });
      // A failed background flush is retried by finish(), which reports it.
      current.catch(() => {});
      flushing = current;
    },
    /** Every byte written is on disk. */
    async finish(): Promise<void> {
      await (flushing ?? Promise.resolve()).catch(() => {});
      await handle.datasync();
    },
    /** No datasync may still run when the handle closes. */
    async settled(): Promise<void> {
      await (flushing ?? Promise.resolve()).catch(() => {});
    },
  };
}

/**
 * Appends a download to its temp file from a given offset as a stream, through the flushing
 * writer. When it has finished, the bytes are on disk; `settled` resolves once it no longer
 * touches its handle, however it ended. The handle stays open: the download owns it across
 * attempts.
 */
export class FlushingFileWriter extends Writable {
  readonly settled: Promise<void>;
  #writer: ReturnType<typeof createFlushingWriter>;
  #position: number;
  #onBytes: (count: number) => void;

  constructor(handle: NewFileHandle, position: number, onBytes: (count: number) => void) {
    super({ highWaterMark: WRITE_BUFFER_BYTES });
    this.#writer = createFlushingWriter(handle);
    this.#position = position;
    this.#onBytes = onBytes;
    this.settled = new Promise((resolve) => this.once("close", () => resolve()));
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#writer
      .writeAt(
        chunks.map(({ chunk }) => chunk),
        this.#position,
        (count) => {
          this.#position += count;
          this.#onBytes(count);
        },
      )
      .then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#writer.finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#writer.settled().then(() => callback(error));
  }
}
