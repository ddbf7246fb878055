// Parallel ranged download, as `aws s3 cp` and s5cmd fetch big objects: S3 caps each
// connection's throughput, so several Range GETs at once beat one stream. The ranges come
// through the shared ranged reader (the pool, the retry engine, resume of a body cut short);
// each is written in place at its offset in the (already created) temp file, and the file is
// flushed to disk as it fills. The caller checks the size and gives the file its name, as for
// one stream.
import { createFlushingWriter, type NewFileHandle, WRITE_BUFFER_BYTES } from "../local/files.js";
import { type Logger, silentLogger } from "../log.js";
import { runPool } from "../pool.js";
import type { HttpPool } from "./http.js";
import { RangedReader } from "./ranged-reader.js";

const MIB = 1024 * 1024;
/** Bytes per Range GET: small enough to spread evenly and retry cheaply, big enough that a request's overhead vanishes. */
export const RANGE_BYTES = 8 * MIB;
/** Files at least this big are fetched in ranges; smaller ones stream as one GET. */
export const PARALLEL_THRESHOLD_BYTES = 4 * RANGE_BYTES;
/** Range GETs in flight: four capped connections give about four times one connection's speed. */
export const RANGES_IN_FLIGHT = 4;

export interface RangedDownloadOptions {
  http: HttpPool;
  /** Presigned URL; never logged or put in an error message. */
  url: string;
  /** The temp file, open for writing (the caller's: not closed here); filled to exactly sizeBytes. */
  handle: NewFileHandle;
  sizeBytes: number;
  /** Newly written bytes, as they land on disk. */
  onBytes?: (count: number) => void;
  signal?: AbortSignal;
  rangeBytes?: number;
  concurrency?: number;
  /** No bytes for this long: the attempt is abandoned (and retried). Default 60 s. */
  stallTimeoutMs?: number;
  logger?: Logger;
}

export async function downloadRanges(options: RangedDownloadOptions): Promise<void> {
  const { sizeBytes, signal } = options;
  const logger = options.logger ?? silentLogger;
  const rangeBytes = options.rangeBytes ?? RANGE_BYTES;
  const reader = new RangedReader({
    http: options.http,
    url: options.url,
    sizeBytes,
    ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
  });
  const starts: number[] = [];
  for (let start = 0; start < sizeBytes; start += rangeBytes) starts.push(start);

  const { handle } = options;
  // One failing range stops the others at once; the caller's signal stops everything.
  const internal = new AbortController();
  const combined = signal ? AbortSignal.any([signal, internal.signal]) : internal.signal;
  const writer = createFlushingWriter(handle);
  try {
    const fetchRange = async (start: number) => {
      const end = Math.min(sizeBytes, start + rangeBytes);
      let position = start;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const writeBatch = async () => {
        if (batchBytes === 0) return;
        const buffers = batch;
        const count = batchBytes;
        batch = [];
        batchBytes = 0;
        await writer.writeAt(buffers, position);
        position += count;
        options.onBytes?.(count);
      };
      // The reader hands every byte of the range over once, in order, however many attempts it takes.
      await reader.pumpRange(
        start,
        end,
        async (chunk) => {
          batch.push(chunk);
          batchBytes += chunk.length;
          // A range collects this much before one write at its offset.
          if (batchBytes >= WRITE_BUFFER_BYTES) await writeBatch();
        },
        { signal: combined },
      );
      await writeBatch();
    };

    await runPool(starts, options.concurrency ?? RANGES_IN_FLIGHT, fetchRange, {
      signal: combined,
      onFirstError: (error) => internal.abort(error),
    }).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
    signal?.throwIfAborted();
    await writer.finish();
    logger.debug("ranged download complete", {
      sizeBytes,
      ranges: starts.length,
      requests: reader.requestCount,
    });
  } finally {
    await writer.settled();
  }
}
