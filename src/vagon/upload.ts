// Multipart upload engine: create the entry, stream every part to its presigned S3 URL (a few
// at a time, each retried on its own), then complete in part order. Parts are streamed from
// disk, never held whole in memory. If anything fails after the entry exists, the entry is
// deleted again so no half-uploaded file is left in the user's storage.
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import { pipeline, Readable, Transform } from "node:stream";
import { type Logger, silentLogger } from "../log.js";
import { runPool } from "../pool.js";
import { ShownError } from "../shown-error.js";
import { VagonError } from "./errors.js";
import { classifyAnswer, errorMessage, withRetries } from "./retry.js";
import type { CompletedPart, CreatedUpload, VagonClient } from "./types.js";

const MIB = 1024 * 1024;
/** S3 refuses parts below 5 MiB (all but the last) when the upload is completed. */
export const MIN_CHUNK_SIZE_MB = 5;
/** S3's largest part. */
export const MAX_CHUNK_SIZE_MB = 5 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Part size when the caller names none. Vagon's default is 250 MB, which for the files agents
 * usually move (tens of MB to a few GB) means one or a handful of parts: no parallelism, and a
 * network hiccup costs up to 250 MB of re-sending. 16 MB parts (the range AWS's own tools use,
 * 8–16 MB) keep four streams busy even for a 64 MB file and make a retry cheap, while a part
 * still takes long enough on a fast link that per-request overhead stays small. The part
 * count is kept to about 1,000 (the create response carries one presigned URL per part, ~0.5 KB
 * each) by growing the part up to 250 MB, and beyond 2.5 TB parts grow again to respect S3's
 * 10,000-part limit. Vagon counts chunk size in MB (MiB here), S3 parts in bytes.
 */
export function chooseChunkSizeMb(sizeBytes: number): number {
  const sizeMb = sizeBytes / MIB;
  const forThousandParts = Math.ceil(sizeMb / 1000);
  if (forThousandParts <= 16) return 16;
  if (forThousandParts <= 250) return forThousandParts;
  return Math.max(250, Math.ceil(sizeMb / 10_000));
}

/**
 * A file on disk, or bytes in memory. With `handle`, every byte and stat comes from that open
 * handle (the file the path was checked to be when it was opened), never from the path again,
 * which someone with write access to the folder could point elsewhere meanwhile.
 */
export type UploadSource =
  | { kind: "file"; path: string; handle?: fs.FileHandle }
  | { kind: "bytes"; bytes: Buffer };

export interface UploadOptions {
  client: VagonClient;
  /** A checked absolute path, or bytes already in memory (small inline content). */
  source: UploadSource;
  fileName: string;
  contentType: string;
  /** 0 = the location's root. */
  parentId: number;
  machineId?: number;
  overwrite?: boolean;
  /** Default: chooseChunkSizeMb(size). 5–5120 when the file needs more than one part. */
  chunkSizeMb?: number;
  /** Parts in flight at once. Default 4. */
  concurrency?: number;
  /** Extra attempts per part after a network error, 5xx, 429 or stall. Default 4. */
  partRetries?: number;
  /** A part whose upload makes no progress for this long is abandoned and retried. Default 60 s. */
  partStallTimeoutMs?: number;
  /** Bytes sent so far (never decreasing), and the file size. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface UploadResult {
  id: number;
  uid: string;
  name: string;
  sizeBytes: number;
  parts: number;
  downloadUrl: string | null;
}

/** The upload failed after its entry had been created at Vagon. */
export class UploadFailedError extends ShownError {
  override readonly name = "UploadFailedError";
  readonly entryId: number;
  /** True when the half-created entry was deleted again (or Vagon had already dropped it). */
  readonly entryRemoved: boolean;

  constructor(message: string, options: { cause: unknown; entryId: number; entryRemoved: boolean }) {
    super(message, { cause: options.cause });
    this.entryId = options.entryId;
    this.entryRemoved = options.entryRemoved;
  }
}

/** One part's failure; `retryable` and `retryAfterMs` steer the retry engine (same presigned URL). */
class PartUploadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export interface PlannedPart {
  partNumber: number;
  url: string;
  start: number;
  /** Exclusive. */
  end: number;
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { status, clientCode } = error as { status?: unknown; clientCode?: unknown };
  return status === 404 || clientCode === 404;
}

/** Splits the file to match the URLs Vagon handed out. */
export function planParts(
  sizeBytes: number,
  chunkSizeMb: number,
  uploadUrls: { partNumber: number; url: string }[],
): PlannedPart[] {
  const urls = [...uploadUrls].sort((a, b) => a.partNumber - b.partNumber);
  const chunkBytes = chunkSizeMb * MIB;
  const count = urls.length;
  if (count === Math.max(1, Math.ceil(sizeBytes / chunkBytes))) {
    return urls.map(({ partNumber, url }, index) => ({
      partNumber,
      url,
      start: index * chunkBytes,
      end: Math.min(sizeBytes, (index + 1) * chunkBytes),
    }));
  }
  // Vagon split differently than MiB-sized chunks predict (say, MB = 10^6 bytes). S3 only needs
  // every part but the last to be ≥ 5 MiB, so an even split over the URLs given works.
  return urls.map(({ partNumber, url }, index) => ({
    partNumber,
    url,
    start: Math.floor((index * sizeBytes) / count),
    end: Math.floor(((index + 1) * sizeBytes) / count),
  }));
}

function openPartBody(source: UploadSource, start: number, end: number): Readable {
  if (source.kind === "file") {
    const range = { start, end: end - 1, highWaterMark: READ_CHUNK_BYTES };
    return createReadStream(source.path, range);
  }
  const { bytes } = source;
  return Readable.from(
    (function* () {
      for (let offset = start; offset < end; offset += READ_CHUNK_BYTES) {
        yield bytes.subarray(offset, Math.min(end, offset + READ_CHUNK_BYTES));
      }
    })(),
  );
}

/**
 * Positional reads from the shared handle: parts in parallel and retries all read the same open
 * file, and nothing closes it (a FileHandle's own read stream closes the handle when destroyed).
 * One buffer per part, refilled chunk after chunk: undici takes this iterable body chunk by
 * chunk and asks for the next only once the socket has flushed the last (a chunk above the
 * socket's high-water mark, 16 KiB with TLS and 64 KiB without, waits for 'drain'). A new
 * 256 KiB buffer per chunk left the collector ~35 MB of them over a folder upload's parts.
 */
async function* readRange(handle: fs.FileHandle, start: number, end: number): AsyncGenerator<Buffer> {
  let buffer: Buffer | null = null;
  for (let position = start; position < end; ) {
    buffer ??= Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, end - position));
    const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_CHUNK_BYTES, end - position), position);
    if (bytesRead === 0) throw new Error("the file got shorter while it was being uploaded");
    position += bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    // A short chunk may still sit in the socket's buffer when the next is asked for.
    if (bytesRead < READ_CHUNK_BYTES) buffer = null;
    yield chunk;
  }
}

async function* countChunks(
  chunks: AsyncGenerator<Buffer>,
  onBytes: (count: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    onBytes(chunk.length);
    yield chunk;
  }
}

async function readErrorText(body: AsyncIterable<Buffer>): Promise<string> {
  let text = "";
  for await (const chunk of body) {
    text += chunk.toString("utf8");
    if (text.length > 8192) break;
  }
  return text;
}

/** A part's bytes, counted between the file and the socket: progress is what undici actually took. */
function countedPartBody(
  source: UploadSource,
  part: PlannedPart,
  onBytes: (count: number) => void,
): { body: Readable | Buffer | AsyncGenerator<Buffer>; streams: Readable[] } {
  if (part.end === part.start) return { body: Buffer.alloc(0), streams: [] };
  // An iterable body, not a stream: readRange reuses its buffer (see there). Counted as undici takes it.
  if (source.kind === "file" && source.handle)
    return { body: countChunks(readRange(source.handle, part.start, part.end), onBytes), streams: [] };
  const fileStream = openPartBody(source, part.start, part.end);
  const counter = new Transform({
    highWaterMark: READ_CHUNK_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  return { body: pipeline(fileStream, counter, () => {}), streams: [fileStream, counter] };
}

async function putPart(
  client: VagonClient,
  source: UploadSource,
  part: PlannedPart,
  stallTimeoutMs: number,
  signal: AbortSignal,
  onBytes: (count: number) => void,
): Promise<string> {
  const length = part.end - part.start;
  const { body, streams } = countedPartBody(source, part, onBytes);
  try {
    const response = await client.http.request(part.url, {
      method: "PUT",
      // S3 requires an exact Content-Length: a chunked body gets 501.
      headers: { "content-length": String(length) },
      // undici takes an async iterable body too ("a Readable stream, an iterable, or an async
      // iterable"); its request types name only streams.
      body: body as Readable | Buffer,
      signal,
      headersTimeout: stallTimeoutMs,
      bodyTimeout: stallTimeoutMs,
    });
    if (response.statusCode >= 200 && response.statusCode < 300) {
      await response.body.dump();
      const etag = response.headers.etag;
      const value = Array.isArray(etag) ? etag[0] : etag;
      if (!value) throw new PartUploadError(`S3 accepted part ${part.partNumber} but sent no ETag`, false);
      // Exactly as returned, quotes included: Vagon compares it with S3's own.
      return value;
    }
    const text = await readErrorText(response.body).catch(() => "");
    const status = response.statusCode;
    // A part's PUT to its presigned URL may be sent again: S3 keeps the last one.
    const answer = classifyAnswer({ status, retryAfter: response.headers["retry-after"], body: text }, true);
    const s3Message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    const detail = answer.s3Code ? ` (${answer.s3Code}${s3Message ? `: ${s3Message}` : ""})` : "";
    const hint =
      status === 403 && /expired/i.test(text)
        ? "; the presigned upload URLs expired before this part was sent"
        : "";
    throw new PartUploadError(
      `S3 answered ${status}${detail} to part ${part.partNumber}${hint}`,
      answer.retry,
      answer.retryAfterMs,
    );
  } finally {
    for (const stream of streams) stream.destroy();
  }
}

export async function uploadFile(options: UploadOptions): Promise<UploadResult> {
  const { client, fileName } = options;
  const logger = options.logger ?? silentLogger;
  options.signal?.throwIfAborted();
  const measured = await measureSource(options.source);
  const { sizeBytes } = measured;
  const chunkSizeMb = options.chunkSizeMb ?? chooseChunkSizeMb(sizeBytes);
  checkChunkSize(chunkSizeMb, sizeBytes);

  // With overwrite, Vagon might hand back the id of the file being replaced; deleting that on
  // failure would destroy the user's original, so remember which id was there before.
  const replacedId = options.overwrite ? await findExistingFileId(client, options, fileName) : null;
  const created = await createEntry(options, sizeBytes, chunkSizeMb);
  logger.debug("upload entry created", { id: created.id, parts: created.uploadUrls.length, chunkSizeMb });

  // From here on, any failure must take the entry away again.
  const progress = progressReporter(sizeBytes, options.onProgress);
  try {
    if (created.uploadUrls.length === 0)
      throw new Error("Vagon created the entry but handed out no upload URLs");
    const parts = planParts(sizeBytes, created.chunkSizeMb || chunkSizeMb, created.uploadUrls);
    const etags = await sendParts(options, created.id, parts, progress.count, logger);
    options.signal?.throwIfAborted();
    await checkSourceUnchanged(options.source, measured);
    const completedParts: CompletedPart[] = parts.map((part, index) => ({
      partNumber: part.partNumber,
      etag: etags[index]!,
    }));
    const completed = await completeOrLook(options, created, replacedId, completedParts, logger);
    progress.finish();
    logger.debug("upload completed", { id: created.id, sizeBytes, parts: parts.length });
    return {
      id: created.id,
      uid: completed.uid || created.uid,
      name: fileName,
      sizeBytes,
      parts: parts.length,
      downloadUrl: completed.downloadUrl,
    };
  } catch (error) {
    throw await cleanUpAfterFailure(client, created.id, replacedId, fileName, error, options.signal, logger);
  }
}

/** The source's size, and a file's modification time (to notice it changing during the upload). */
interface MeasuredSource {
  sizeBytes: number;
  /** Null for bytes in memory. */
  modifiedMs: number | null;
}

async function measureSource(source: UploadSource): Promise<MeasuredSource> {
  if (source.kind === "bytes") return { sizeBytes: source.bytes.length, modifiedMs: null };
  const stats = await (source.handle ? source.handle.stat() : fs.stat(source.path)).catch(
    (error: unknown) => {
      throw new Error(`Can't read ${source.path}: ${errorMessage(error)}.`, { cause: error });
    },
  );
  if (!stats.isFile()) throw new Error(`${source.path} is not a regular file, so it can't be uploaded.`);
  return { sizeBytes: stats.size, modifiedMs: stats.mtimeMs };
}

function checkChunkSize(chunkSizeMb: number, sizeBytes: number): void {
  const multipart = sizeBytes > chunkSizeMb * MIB;
  if (!Number.isInteger(chunkSizeMb) || chunkSizeMb < 1 || (multipart && chunkSizeMb < MIN_CHUNK_SIZE_MB)) {
    throw new RangeError(
      `A chunk size of ${chunkSizeMb} MB can't be used for a file of ${sizeBytes} bytes: parts must be whole MB, at least ${MIN_CHUNK_SIZE_MB} MB (S3's minimum part size).`,
    );
  }
  if (chunkSizeMb > MAX_CHUNK_SIZE_MB) {
    throw new RangeError(
      `A chunk size of ${chunkSizeMb} MB is above S3's largest part (${MAX_CHUNK_SIZE_MB} MB).`,
    );
  }
}

function createEntry(options: UploadOptions, sizeBytes: number, chunkSizeMb: number): Promise<CreatedUpload> {
  return options.client.createFile(
    {
      fileName: options.fileName,
      contentType: options.contentType,
      sizeBytes,
      parentId: options.parentId,
      machineId: options.machineId,
      chunkSizeMb,
      overwrite: options.overwrite,
    },
    { signal: options.signal },
  );
}

/**
 * Progress as the most bytes sent so far: a failed attempt takes its bytes back (`count` with a
 * negative delta) without the caller ever seeing a step back.
 */
function progressReporter(sizeBytes: number, onProgress: UploadOptions["onProgress"]) {
  let sentBytes = 0;
  let reportedBytes = -1;
  return {
    count(delta: number): void {
      sentBytes += delta;
      if (sentBytes > reportedBytes) {
        reportedBytes = sentBytes;
        onProgress?.(sentBytes, sizeBytes);
      }
    },
    /** The last report, unless every byte was already reported (an empty file always gets one). */
    finish(): void {
      if (reportedBytes < sizeBytes || sizeBytes === 0) onProgress?.(sizeBytes, sizeBytes);
    },
  };
}

/** Sends every part through the bounded pool, each retried on its own; their ETags in part order. */
async function sendParts(
  options: UploadOptions,
  entryId: number,
  parts: PlannedPart[],
  countBytes: (delta: number) => void,
  logger: Logger,
): Promise<string[]> {
  const { client, source } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const partRetries = Math.max(0, Math.floor(options.partRetries ?? 4));
  const stallTimeoutMs = options.partStallTimeoutMs ?? 60_000;
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const etags: string[] = new Array(parts.length);

  // A part's PUT can be sent again: the same bytes to the same URL (the retry engine decides when).
  const uploadPart = async (part: PlannedPart, index: number) => {
    await withRetries(
      async () => {
        let attemptBytes = 0;
        try {
          etags[index] = await putPart(client, source, part, stallTimeoutMs, signal, (count) => {
            attemptBytes += count;
            countBytes(count);
          });
        } catch (error) {
          // Progress is reported as the maximum so far, so taking these back never shows a step back.
          countBytes(-attemptBytes);
          throw error;
        }
      },
      {
        ...client.http.backoff,
        idempotent: true,
        signal,
        maxAttempts: partRetries + 1,
        onRetry: ({ attempt, delayMs, error }) =>
          logger.debug("retrying upload part", {
            id: entryId,
            part: part.partNumber,
            attempt,
            delayMs: Math.round(delayMs),
            reason: errorMessage(error),
          }),
      },
    );
  };

  // One failing part stops the others at once.
  await runPool(parts, concurrency, uploadPart, { onFirstError: (error) => internal.abort(error) }).catch(
    (error: unknown) => {
      options.signal?.throwIfAborted();
      throw error;
    },
  );
  return etags;
}

async function checkSourceUnchanged(source: UploadSource, before: MeasuredSource): Promise<void> {
  if (source.kind !== "file") return;
  const after = await (source.handle ? source.handle.stat() : fs.stat(source.path));
  if (after.size !== before.sizeBytes || after.mtimeMs !== before.modifiedMs) {
    throw new Error(`${source.path} changed while it was being uploaded`);
  }
}

/**
 * Completes the upload. When the answer is lost, the folder is looked at before anything is
 * cleaned up: a completed entry means the upload worked; otherwise the error goes on to the
 * clean-up, or, when what Vagon holds is unclear, the entry is left in place.
 */
async function completeOrLook(
  options: UploadOptions,
  created: CreatedUpload,
  replacedId: number | null,
  completedParts: CompletedPart[],
  logger: Logger,
): Promise<{ uid: string; downloadUrl: string | null }> {
  const { client, fileName } = options;
  // Every byte is at S3: a cancellation now lets this one short request finish rather than cut it
  // off and delete a file Vagon may already have completed (the client's timeouts still bound it).
  try {
    return await client.completeUpload(created.id, completedParts);
  } catch (error) {
    if (!mayHaveCompleted(error)) throw error;
    // The request may have reached Vagon, which then replaced any old file with this entry:
    // look before cleaning up, never delete what may be the user's only copy.
    const seen = await lookAfterLostComplete(client, options, fileName, created.id, replacedId);
    if (seen === "gone-or-pending") throw error;
    if (seen === "unknown") {
      throw new UploadFailedError(
        `Completing the upload of "${fileName}" got no clear answer (${errorMessage(error)}), and Vagon couldn't be asked whether it finished, so the new entry (id ${created.id}) was left in place: it may hold the file${replacedId !== null ? " and the old version may be gone" : ""}. List the folder with list_files: a complete file ${created.id} needs nothing more; a pending one can be deleted with delete_file, then upload again.`,
        { cause: error, entryId: created.id, entryRemoved: false },
      );
    }
    logger.info("upload complete: the answer was lost, the listing shows the file completed", {
      id: created.id,
    });
    return { uid: created.uid, downloadUrl: null };
  }
}

/**
 * The error an upload that failed after its entry was created ends with: the entry is deleted
 * again, unless it may be the user's file (left in place when the complete's outcome is unclear,
 * or when Vagon reused the id of the file being replaced).
 */
async function cleanUpAfterFailure(
  client: VagonClient,
  entryId: number,
  replacedId: number | null,
  fileName: string,
  cause: unknown,
  callerSignal: AbortSignal | undefined,
  logger: Logger,
): Promise<UploadFailedError> {
  if (cause instanceof UploadFailedError) return cause;
  if (entryId === replacedId) {
    return new UploadFailedError(
      `${describeFailure(fileName, cause, callerSignal)}. Vagon reused the id of the file being replaced (${entryId}), so it was left in place rather than deleted; check it before trying again.`,
      { cause, entryId, entryRemoved: false },
    );
  }
  return removeHalfCreatedEntry(client, entryId, fileName, cause, callerSignal, logger);
}

async function removeHalfCreatedEntry(
  client: VagonClient,
  entryId: number,
  fileName: string,
  cause: unknown,
  callerSignal: AbortSignal | undefined,
  logger: Logger,
): Promise<UploadFailedError> {
  let entryRemoved = false;
  let removalProblem = "";
  try {
    // Not tied to the caller's signal: a cancelled upload must still be cleaned up.
    await client.deleteFile(entryId, { signal: AbortSignal.timeout(30_000) });
    entryRemoved = true;
  } catch (error) {
    if (isNotFound(error)) {
      entryRemoved = true; // Vagon had already dropped it (as it does after a 450/452 on complete).
    } else {
      removalProblem = errorMessage(error);
      logger.warn("could not remove half-uploaded entry", { id: entryId, reason: removalProblem });
    }
  }
  const cancelled = callerSignal?.aborted === true;
  const what = describeFailure(fileName, cause, callerSignal);
  const cleanup = entryRemoved
    ? `The partially uploaded entry (id ${entryId}) was removed, so nothing is left behind${cancelled ? "" : "; try the upload again"}.`
    : `The partially uploaded entry (id ${entryId}) could not be removed (${removalProblem}); delete file ${entryId} before trying again.`;
  return new UploadFailedError(`${what}. ${cleanup}`, { cause, entryId, entryRemoved });
}

function describeFailure(fileName: string, cause: unknown, callerSignal: AbortSignal | undefined): string {
  return callerSignal?.aborted
    ? `Uploading "${fileName}" was cancelled`
    : `Uploading "${fileName}" failed: ${errorMessage(cause)}`;
}

/**
 * A complete whose answer never arrived (reset, timeout) or may have come after the work was done
 * (classifyAnswer: 408, a 5xx other than 503): Vagon may have done it. A 503 or 429 says "not now"
 * before doing anything; other codes are Vagon's answer.
 */
function mayHaveCompleted(error: unknown): boolean {
  if (!(error instanceof VagonError)) return true;
  if (error.kind === "network" || error.kind === "timeout" || error.kind === "invalid-response") return true;
  return error.status !== null && classifyAnswer({ status: error.status }, false).mayHaveBeenProcessed;
}

/** The first page of the upload's folder, searched for `fileName`. */
function listByName(client: VagonClient, options: UploadOptions, fileName: string, signal?: AbortSignal) {
  return client.listFiles(
    {
      location: options.machineId === undefined ? "shared" : "machine",
      machineId: options.machineId,
      parentId: options.parentId,
      query: fileName,
      perPage: 100,
    },
    { signal },
  );
}

/**
 * After a lost complete answer, what the folder shows: the entry completed (the upload worked),
 * or not completed while the old version (if any) is still there (removing the entry loses
 * nothing), or anything else (unknown: leave it).
 */
async function lookAfterLostComplete(
  client: VagonClient,
  options: UploadOptions,
  fileName: string,
  entryId: number,
  replacedId: number | null,
): Promise<"completed" | "gone-or-pending" | "unknown"> {
  try {
    const page = await listByName(client, options, fileName, AbortSignal.timeout(30_000));
    const entry = page.entries.find((candidate) => candidate.id === entryId);
    if (entry?.status === "upload_completed") return "completed";
    if (page.nextPage !== null && entry === undefined) return "unknown";
    const oldStillThere =
      replacedId === null || page.entries.some((candidate) => candidate.id === replacedId);
    return oldStillThere ? "gone-or-pending" : "unknown";
  } catch {
    return "unknown";
  }
}

async function findExistingFileId(
  client: VagonClient,
  options: UploadOptions,
  fileName: string,
): Promise<number | null> {
  try {
    const page = await listByName(client, options, fileName, options.signal);
    return page.entries.find((entry) => entry.kind === "file" && entry.name === fileName)?.id ?? null;
  } catch {
    return null; // Not knowing only costs the guard; the upload itself can go ahead.
  }
}
