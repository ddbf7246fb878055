// A zip file read in place: yauzl over the ranged reader. Its small reads (the end record, the
// central directory, local headers) go through a block cache, so listing 10,000 members costs a
// handful of range requests over the central directory only; a member's data is streamed with
// one range request for just that member.
import { Readable } from "node:stream";
import type yauzl from "yauzl";
import { compressionRatioProblem, DEFAULT_MAX_EXTRACT_ENTRIES } from "../../local/extract.js";
import { formatBytes } from "../../units.js";
import type { RangedReader } from "../../vagon/ranged-reader.js";
import { entryInstant } from "../instant.js";

/** Bytes fetched per cached block: a central directory of 10,000 entries is ~4 of them. */
const BLOCK_BYTES = 256 * 1024;
/**
 * Blocks kept at once: the central directory is read front to back through this window, so a
 * 172 MB directory costs 2 MiB of memory per call, not 172 MB.
 */
export const MAX_CACHED_BLOCKS = 8;
/** Members a call looks through (finding one, or listing a folder): extraction's entry cap. */
export const MAX_ZIP_MEMBERS = DEFAULT_MAX_EXTRACT_ENTRIES;
/**
 * A member is unpacked whole to read its tail or grep it: beyond this it is refused, as a bomb
 * is, so one call's cost stays bounded (the rest of extraction's limits apply as they are).
 */
export const MAX_ZIP_MEMBER_READ_BYTES = 512 * 1024 * 1024;
/** Reads longer than this skip the cache (a member's data). */
const DIRECT_READ_BYTES = 2 * BLOCK_BYTES;

/** A zip that yauzl could not read: the message names what was wrong. */
export class CorruptZipError extends Error {
  override name = "CorruptZipError";
}

export interface ZipMember {
  path: string;
  size: number;
  compressed_size: number;
  modified: string;
  /** Why it can't be read here, when it can't ("encrypted", "compression method 14"). */
  unreadable?: string;
}

export interface ZipArchive {
  entryCount: number;
  /** Members in central directory order, stopping once `limit` have passed `accept`. */
  list(
    limit: number,
    accept?: (member: ZipMember) => boolean,
  ): Promise<{ members: ZipMember[]; matched: number; scanned: number }>;
  /** The member with exactly this path, or null. */
  find(path: string): Promise<{ member: ZipMember; open(): Promise<Readable> } | null>;
}

/** The most recent blocks of the file fetched, shared by every read of one archive. */
export class BlockCache {
  readonly #blocks = new Map<number, Promise<Buffer>>();
  constructor(
    private readonly reader: RangedReader,
    private readonly signal?: AbortSignal,
  ) {}

  /** Blocks held now (at most MAX_CACHED_BLOCKS). */
  get size(): number {
    return this.#blocks.size;
  }

  async read(start: number, end: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let block = Math.floor(start / BLOCK_BYTES); block * BLOCK_BYTES < end; block++) {
      let bytes = this.#blocks.get(block);
      if (bytes) this.#blocks.delete(block);
      else bytes = this.reader.read(block * BLOCK_BYTES, BLOCK_BYTES, { signal: this.signal });
      // Most recently used last; the oldest leave once the window is full.
      this.#blocks.set(block, bytes);
      while (this.#blocks.size > MAX_CACHED_BLOCKS)
        this.#blocks.delete(this.#blocks.keys().next().value as number);
      const data = await bytes;
      const blockStart = block * BLOCK_BYTES;
      parts.push(data.subarray(Math.max(0, start - blockStart), Math.min(data.length, end - blockStart)));
    }
    return Buffer.concat(parts);
  }
}

/**
 * Why read_file won't unpack this member, or null: extraction's ratio rule (a bomb), and the
 * per-call bound on what is unpacked.
 */
export function memberReadProblem(member: ZipMember): string | null {
  const bomb = compressionRatioProblem(member.compressed_size, member.size);
  if (bomb) return bomb;
  if (member.size > MAX_ZIP_MEMBER_READ_BYTES) {
    return `it unpacks to ${formatBytes(member.size)}, more than the ${formatBytes(MAX_ZIP_MEMBER_READ_BYTES)} read_file unpacks in one call`;
  }
  return null;
}

function unreadableReason(entry: yauzl.Entry): string | undefined {
  if (entry.isEncrypted()) return "encrypted";
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    const names: Record<number, string> = {
      9: "Deflate64",
      12: "BZIP2",
      14: "LZMA",
      93: "Zstandard",
      95: "XZ",
      99: "AES",
    };
    const name = names[entry.compressionMethod];
    return `compression method ${entry.compressionMethod}${name ? ` (${name})` : ""} is not supported`;
  }
  return undefined;
}

function describe(yauzlModule: typeof yauzl, entry: yauzl.Entry): ZipMember {
  // Names are decoded here rather than by yauzl, which would fail the whole archive on one
  // hostile name (absolute, ..): a listing only shows them.
  const raw = entry.fileName as unknown as Buffer;
  const path = yauzlModule.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
  const unreadable = unreadableReason(entry);
  let modified: string;
  try {
    modified = entryInstant(entry.getLastModDate({ timezone: "UTC" }).toISOString());
  } catch {
    modified = "";
  }
  return {
    path,
    size: entry.uncompressedSize,
    compressed_size: entry.compressedSize,
    modified,
    ...(unreadable ? { unreadable } : {}),
  };
}

/** Opens the zip at `reader` by its end record; throws CorruptZipError when it isn't one. */
export async function openZip(reader: RangedReader, signal?: AbortSignal): Promise<ZipArchive> {
  const { default: yauzlModule } = await import("yauzl");
  const cache = new BlockCache(reader, signal);

  class RangedZipReader extends yauzlModule.RandomAccessReader {
    override _readStreamForRange(start: number, end: number): Readable {
      return streamFrom(reader, cache, start, end, signal);
    }
    override read(
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
      callback: (err: Error | null) => void,
    ): void {
      cache.read(position, position + length).then(
        (bytes) => {
          if (bytes.length < length) return callback(new Error("unexpected end of file"));
          bytes.copy(buffer, offset);
          callback(null);
        },
        (error: Error) => callback(error),
      );
    }
  }

  let zipFile: yauzl.ZipFile;
  try {
    zipFile = await yauzlModule.fromRandomAccessReaderPromise(new RangedZipReader(), reader.sizeBytes, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    throw asZipError(error);
  }

  let listingUsed = false;
  const entries = async function* (): AsyncGenerator<yauzl.Entry> {
    // yauzl reads its central directory once, front to back.
    if (listingUsed) throw new Error("a zip archive is listed once");
    listingUsed = true;
    try {
      for await (const entry of zipFile.eachEntry()) yield entry;
    } catch (error) {
      throw asZipError(error);
    }
  };

  return {
    entryCount: zipFile.entryCount,
    async list(limit, accept) {
      const members: ZipMember[] = [];
      let matched = 0;
      let scanned = 0;
      for await (const entry of entries()) {
        scanned += 1;
        const member = describe(yauzlModule, entry);
        if (accept && !accept(member)) continue;
        matched += 1;
        if (members.length < limit) members.push(member);
        // Without a filter the total is known from the end record: no need to read further.
        else if (!accept) break;
      }
      return { members, matched: accept ? matched : zipFile.entryCount, scanned };
    },
    async find(path) {
      for await (const entry of entries()) {
        const member = describe(yauzlModule, entry);
        if (member.path !== path) continue;
        return {
          member,
          open: async () => {
            try {
              return await zipFile.openReadStreamPromise(entry);
            } catch (error) {
              throw asZipError(error);
            }
          },
        };
      }
      return null;
    },
  };
}

function asZipError(error: unknown): Error {
  if (error instanceof Error && error.name === "RangedReadError") return error;
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptZipError(message);
}

/** A readable for yauzl: small spans from the block cache, a member's data as one ranged stream. */
function streamFrom(
  reader: RangedReader,
  cache: BlockCache,
  start: number,
  end: number,
  signal?: AbortSignal,
): Readable {
  if (end - start <= DIRECT_READ_BYTES) {
    return Readable.from(
      (async function* () {
        yield await cache.read(start, end);
      })(),
    );
  }
  return Readable.from(reader.streamRange(start, end, { signal }));
}
