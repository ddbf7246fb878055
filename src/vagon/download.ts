// Downloads to disk and zip-job polling. A download is streamed into a hidden temporary file
// next to its destination, resumed with Range requests when the connection breaks, checked
// against the expected size, flushed, and only then given its final name — one that was
// free, so nothing the user had is ever overwritten. Any failure leaves no file behind.
// The temporary file is created exclusively in a folder whose real path is re-verified right
// before, then written only through the handle opened then (retries included), so a folder or
// file swapped for a link meanwhile can't redirect a single byte.
import * as fs from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { type CheckedPath, checkedChild } from "../local/containment.js";
import {
  createNewFile,
  FlushingFileWriter,
  isStillItself,
  moveToFreeName,
  type NewFileHandle,
  partialFileName,
  sanitizeFileName,
} from "../local/files.js";
import { raceSeam } from "../local/race-seam.js";
import { type Logger, silentLogger } from "../log.js";
import { ShownError } from "../shown-error.js";
import type { HttpPool, HttpResponse } from "./http.js";
import { downloadRanges, PARALLEL_THRESHOLD_BYTES } from "./parallel-download.js";
import { RangedReadError } from "./ranged-reader.js";
import { classifyAnswer, errorMessage, isWorthRetrying, sleep, withRetries } from "./retry.js";
import type { DownloadJob, VagonClient } from "./types.js";

/** A download that ended without a saved file; the message is safe to show and names the next step. */
export class DownloadFailedError extends ShownError {
  override name = "DownloadFailedError";
  /** Final: the retry engine doesn't try it again. */
  readonly retryable = false;
}

/** A failed attempt that is worth another try (network trouble, 5xx, a short body). */
class RetryableDownloadError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export interface SaveUrlOptions {
  http: HttpPool;
  /** Presigned URL; never logged or put in an error message. */
  url: string;
  /** Checked absolute folder; must exist. */
  directory: CheckedPath;
  /** Wanted name; sanitized, and suffixed " (n)" when taken. */
  fileName: string;
  /**
   * Size to verify against. For a single-file link, the file's size. For a zip job pass null:
   * Vagon's job `size` is the total of the files zipped, not the size of the zip.
   */
  expectedBytes: number | null;
  onProgress?: (receivedBytes: number, totalBytes: number | null) => void;
  signal?: AbortSignal;
  /** Extra attempts after a failed one (each resumes where the last stopped). Default 4. */
  retries?: number;
  /** No bytes for this long: the attempt is abandoned (and retried). Default 60 s. */
  stallTimeoutMs?: number;
  /** Known sizes from this many bytes up are fetched as parallel Range GETs. Default 32 MiB. */
  parallelThresholdBytes?: number;
  logger?: Logger;
}

export interface SavedFile {
  savedPath: CheckedPath;
  sizeBytes: number;
}

/** Fills the temp file with parallel Range GETs; true once every byte is on disk. */
async function fetchInRanges(
  options: SaveUrlOptions,
  handle: NewFileHandle,
  sizeBytes: number,
  report: (received: number) => void,
): Promise<true> {
  let receivedBytes = 0;
  try {
    await downloadRanges({
      http: options.http,
      url: options.url,
      handle,
      sizeBytes,
      signal: options.signal,
      ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onBytes: (count) => {
        receivedBytes += count;
        report(receivedBytes);
      },
    });
    return true;
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    // The reader's own wording ends with its own next step; the attempt's reason is what counts here.
    const reason = error instanceof RangedReadError && error.cause ? error.cause : error;
    throw new DownloadFailedError(
      `The download failed: ${errorMessage(reason)}. Nothing was saved; try again.`,
      {
        cause: error,
      },
    );
  }
}

export async function saveUrlToFile(options: SaveUrlOptions): Promise<SavedFile> {
  const { directory, expectedBytes } = options;
  const fileName = sanitizeFileName(options.fileName);
  options.signal?.throwIfAborted();

  const transfer = startTransfer(await createTempFile(directory, fileName), options);
  try {
    // A big file of known size comes as parallel ranges; the rest as one resumable stream.
    if (
      expectedBytes !== null &&
      expectedBytes >= (options.parallelThresholdBytes ?? PARALLEL_THRESHOLD_BYTES)
    ) {
      await fetchInRanges(options, transfer.handle, expectedBytes, transfer.report);
      transfer.haveBytes = (await transfer.handle.stat()).size;
    } else {
      await streamWithRetries(transfer, options);
    }
    return await keepUnderFreeName(transfer, options, fileName);
  } catch (error) {
    await transfer.handle.close().catch(() => {});
    await fs.rm(transfer.tempPath, { force: true }).catch(() => {});
    throw error;
  }
}

/** One download across its attempts: the temp file, what is in it, and the size once known. */
interface Transfer {
  /** The temp file, open since it was created; every byte goes through it, never its name. */
  handle: NewFileHandle;
  tempPath: CheckedPath;
  /** Bytes in the temp file: where the next attempt resumes. */
  haveBytes: number;
  /** The size to end at, once known: the expected one, or the server's. */
  totalBytes: number | null;
  /** Tells onProgress of bytes received, only ever forwards. */
  report: (receivedBytes: number) => void;
}

/**
 * Creates the hidden temp file in the checked folder, re-verified right before: exclusive and
 * no link followed, so the name must be new, and ours.
 */
async function createTempFile(
  directory: CheckedPath,
  fileName: string,
): Promise<{ handle: NewFileHandle; tempPath: CheckedPath }> {
  const tempPath = checkedChild(directory, partialFileName(fileName));
  await raceSeam("write:before-create", directory);
  await assertFolderIsItself(directory);
  const handle = await createNewFile(tempPath);
  try {
    await assertStillOurs(handle, tempPath, directory);
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  return { handle, tempPath };
}

function startTransfer(
  tempFile: { handle: NewFileHandle; tempPath: CheckedPath },
  options: SaveUrlOptions,
): Transfer {
  let reportedBytes = -1;
  const transfer: Transfer = {
    ...tempFile,
    haveBytes: 0,
    totalBytes: options.expectedBytes,
    report: (received) => {
      if (received > reportedBytes) {
        reportedBytes = received;
        options.onProgress?.(received, transfer.totalBytes);
      }
    },
  };
  return transfer;
}

/**
 * Streams the file in one GET, resumed where it broke. A broken connection that delivered bytes
 * resumes at once; only attempts that got nothing back off (the retry engine's rule). `retries`
 * bounds every attempt, as documented.
 */
async function streamWithRetries(transfer: Transfer, options: SaveUrlOptions): Promise<void> {
  const { signal } = options;
  const logger = options.logger ?? silentLogger;
  const retries = Math.max(0, Math.floor(options.retries ?? 4));
  let attempts = 0;
  try {
    await withRetries(
      async ({ attempt: attemptNumber, markProgress }) => {
        attempts = attemptNumber;
        if (attemptNumber > 1) await raceSeam("write:between-attempts", transfer.tempPath);
        const bytesBefore = transfer.haveBytes;
        try {
          await streamOnce(transfer, options);
        } finally {
          if (transfer.haveBytes > bytesBefore) markProgress();
        }
      },
      {
        ...options.http.backoff,
        idempotent: true,
        signal,
        maxAttempts: retries + 1,
        maxTotalAttempts: retries + 1,
        onRetry: ({ attempt: attemptNumber, delayMs, error }) =>
          logger.debug("resuming download", {
            attempt: attemptNumber,
            haveBytes: transfer.haveBytes,
            delayMs: Math.round(delayMs),
            reason: errorMessage(error),
          }),
      },
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    // Out of tries on trouble worth retrying (a short body, a 5xx, a broken connection).
    if (error instanceof RetryableDownloadError || isWorthRetrying(error, true)) {
      throw new DownloadFailedError(
        `The download failed after ${attempts} attempts: ${errorMessage(error)}. Nothing was saved; try again.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** One attempt: requests from haveBytes on and appends to the temp file. Resolves when the body ended. */
async function streamOnce(transfer: Transfer, options: SaveUrlOptions): Promise<void> {
  const stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  const headers: Record<string, string> =
    transfer.haveBytes > 0 ? { range: `bytes=${transfer.haveBytes}-` } : {};
  // A network failure is thrown as it is: the retry engine reads its code.
  const response: HttpResponse = await options.http.request(options.url, {
    method: "GET",
    headers,
    signal: options.signal,
    headersTimeout: stallTimeoutMs,
    bodyTimeout: stallTimeoutMs,
  });
  await acceptAnswer(transfer, response, options.expectedBytes);
  await appendBody(transfer, response, options.signal);
}

/**
 * Takes the answer's status and headers into the transfer: a full body starts the file over, a
 * partial one must resume exactly where the file ends; anything else is thrown.
 */
async function acceptAnswer(
  transfer: Transfer,
  response: HttpResponse,
  expectedBytes: number | null,
): Promise<void> {
  const status = response.statusCode;
  if (status === 200 && transfer.haveBytes > 0) {
    // The server ignored the range: start over.
    transfer.haveBytes = 0;
    await transfer.handle.truncate(0);
  } else if (status === 206) {
    const range = /bytes (\d+)-\d+\/(\d+|\*)/.exec(String(response.headers["content-range"] ?? ""));
    if (!range || Number(range[1]) !== transfer.haveBytes) {
      await response.body.dump();
      transfer.haveBytes = 0;
      await transfer.handle.truncate(0);
      throw new RetryableDownloadError("the server resumed at the wrong offset");
    }
    if (range[2] !== "*" && transfer.totalBytes === null) transfer.totalBytes = Number(range[2]);
  } else if (status !== 200) {
    throw await refusal(response);
  }
  if (status === 200) {
    const contentLength = Number(response.headers["content-length"]);
    if (Number.isFinite(contentLength) && response.headers["content-length"] !== undefined) {
      if (expectedBytes !== null && contentLength !== expectedBytes) {
        await response.body.dump();
        throw new DownloadFailedError(
          `The server is sending ${contentLength} bytes but ${expectedBytes} were expected, so the download was stopped.`,
        );
      }
      transfer.totalBytes ??= contentLength;
    }
  }
}

/** The error for an answer that is neither 200 nor 206: worth another try, or final. */
async function refusal(response: HttpResponse): Promise<Error> {
  const status = response.statusCode;
  const text = await response.body.text().catch(() => "");
  const answer = classifyAnswer({ status, retryAfter: response.headers["retry-after"], body: text }, true);
  const detail = answer.s3Code ? ` (${answer.s3Code})` : "";
  if (answer.retry)
    return new RetryableDownloadError(`the server answered ${status}${detail}`, answer.retryAfterMs);
  const hint =
    status === 403
      ? ": the download link has expired or is invalid; ask Vagon for a new link"
      : status === 404
        ? ": the file is no longer there"
        : "";
  return new DownloadFailedError(`The download was refused with HTTP ${status}${detail}${hint}.`);
}

/** Appends the body through the flushing writer; a body cut short is worth another attempt. */
async function appendBody(
  transfer: Transfer,
  response: HttpResponse,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { handle } = transfer;
  const startBytes = transfer.haveBytes;
  let counted = 0;
  const writer = new FlushingFileWriter(handle, startBytes, (count) => {
    counted += count;
    transfer.report(startBytes + counted);
  });
  let failure: { error: unknown } | null = null;
  try {
    await pipeline(response.body, writer, { signal });
  } catch (error) {
    failure = { error };
  }
  await writer.settled;
  // What is on disk is what we have, whatever the counter saw.
  transfer.haveBytes = (await handle.stat()).size;
  const { haveBytes, totalBytes } = transfer;
  if (failure !== null) {
    if (signal?.aborted) throw signal.reason ?? failure.error;
    // Every byte arrived and the connection broke only afterwards: nothing to resume.
    if (totalBytes !== null && haveBytes === totalBytes) return;
    throw failure.error;
  }
  if (totalBytes !== null && haveBytes < totalBytes) {
    throw new RetryableDownloadError(`the connection ended after ${haveBytes} of ${totalBytes} bytes`);
  }
}

/** Checks the finished temp file and gives it the first free name: the file we wrote, in the folder checked. */
async function keepUnderFreeName(
  transfer: Transfer,
  options: SaveUrlOptions,
  fileName: string,
): Promise<SavedFile> {
  const { handle, tempPath, haveBytes, totalBytes } = transfer;
  if (totalBytes !== null && haveBytes !== totalBytes) {
    throw new DownloadFailedError(
      `The download ended with ${haveBytes} bytes instead of ${totalBytes}; nothing was saved.`,
    );
  }
  options.signal?.throwIfAborted();
  await assertStillOurs(handle, tempPath, options.directory);
  await handle.close();
  const savedPath = await moveToFreeName(tempPath, options.directory, fileName);
  transfer.report(haveBytes);
  (options.logger ?? silentLogger).debug("download saved", { savedPath, sizeBytes: haveBytes });
  return { savedPath, sizeBytes: haveBytes };
}

/** The checked folder still is what was checked (no link swapped in). */
async function assertFolderIsItself(directory: string): Promise<void> {
  if (!(await isStillItself(directory))) {
    throw new DownloadFailedError(
      `The folder ${directory} was moved or replaced by a link while the download was being prepared, so nothing was saved. Check the folder and try again.`,
    );
  }
}

/** The temp file's name still leads, through the checked folder, to the file we hold open. */
async function assertStillOurs(handle: fs.FileHandle, tempPath: string, directory: string): Promise<void> {
  await assertFolderIsItself(directory);
  const [held, named] = await Promise.all([handle.stat(), fs.lstat(tempPath).catch(() => null)]);
  if (named === null || named.dev !== held.dev || named.ino !== held.ino) {
    throw new DownloadFailedError(
      `The temporary file of this download in ${directory} was replaced while it was being written, so nothing was saved. Check the folder and try again.`,
    );
  }
}

const TERMINAL_STATUSES = new Set(["uploaded", "failed", "cancelled"]);
const POLL_GRACE_MS = 5_000;
const LONG_JOB_MS = 20_000;

export interface WaitForJobOptions {
  client: VagonClient;
  downloadId: number;
  /** How long to wait; 0 = look once. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Ends the wait early without an error, like the timeout: the last status seen is returned
   * (the server is shutting down, and the job goes on at Vagon under its id).
   */
  until?: AbortSignal;
  /** Every status seen, first one included. */
  onUpdate?: (job: DownloadJob) => void;
  /** First gap between polls. Default 250 ms. */
  minIntervalMs?: number;
  /** Largest gap between polls in the first 20 s (×1.75 after). Default 800 ms. */
  maxIntervalMs?: number;
}

/**
 * Polls a zip job until it is uploaded, failed or cancelled, or until timeoutMs runs out (then
 * the last status seen is returned: the caller reports "still processing"). Gaps start at
 * 250 ms and grow ×1.5 to 1 s, measured from the start of one poll to the start of the next,
 * so a short job is noticed almost at once and a long one costs about one poll a second with
 * half a second of mean delay. Never sleeps past the deadline; an abort throws at once.
 */
export async function waitForJob(options: WaitForJobOptions): Promise<DownloadJob> {
  const { client, downloadId, signal } = options;
  const minIntervalMs = options.minIntervalMs ?? 250;
  const maxIntervalMs = Math.max(minIntervalMs, options.maxIntervalMs ?? 800);
  const startedAt = Date.now();
  const deadline = startedAt + Math.max(0, options.timeoutMs);
  let intervalMs = minIntervalMs;
  let lastPollAt = Date.now();
  const until = options.until;
  let job = await client.getDownload(downloadId, { signal });
  options.onUpdate?.(job);
  while (!TERMINAL_STATUSES.has(job.status)) {
    const now = Date.now();
    if (now >= deadline || until?.aborted) return job;
    const nextPollAt = Math.min(lastPollAt + intervalMs, deadline);
    if (nextPollAt > now) {
      const pause = until && signal ? AbortSignal.any([signal, until]) : (until ?? signal);
      try {
        await sleep(nextPollAt - now, pause);
      } catch (error) {
        signal?.throwIfAborted();
        if (until?.aborted) return job;
        throw error;
      }
    }
    // Most jobs are small: poll every 0.8 s, so a ready job is noticed in 0.4 s on average. A job
    // still running after 20 s is a big one; 1.4 s polls keep a 60 s job under one poll a second.
    const capMs = Date.now() - startedAt > LONG_JOB_MS ? maxIntervalMs * 1.75 : maxIntervalMs;
    intervalMs = Math.min(capMs, intervalMs * 1.5);
    lastPollAt = Date.now();
    // A poll that hangs (the client retrying a flaky API) must not hold the caller far past
    // the deadline: give it a little grace, then answer with the last status seen.
    const pollDeadline = AbortSignal.timeout(Math.max(0, deadline - lastPollAt) + POLL_GRACE_MS);
    try {
      job = await client.getDownload(downloadId, {
        signal: signal ? AbortSignal.any([signal, pollDeadline]) : pollDeadline,
      });
    } catch (error) {
      signal?.throwIfAborted();
      if (pollDeadline.aborted) return job;
      throw error;
    }
    options.onUpdate?.(job);
  }
  return job;
}
