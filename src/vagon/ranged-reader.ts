// Reads a stored file in place through its presigned link with HTTP Range requests: a byte range
// streamed with resume (a body cut short is asked again from the first byte that did not come),
// or a random-access read(start, length). Every request goes through the shared pool and the
// shared retry engine; a link that expired (S3 answers 403) is exchanged for a fresh one once.
// Built for read_file (a few small reads) and for parallel ranged downloads to disk alike: one
// reader may serve many concurrent ranges, and they share one link refresh.

import { ShownError } from "../shown-error.js";
import type { HttpPool, HttpResponse } from "./http.js";
import {
  classifyAnswer,
  errorMessage,
  networkCodeOf,
  RETRYABLE_NETWORK_CODES,
  withRetries,
} from "./retry.js";
import type { DownloadStart, VagonClient } from "./types.js";

/** A ranged read that failed for good; the message is safe to show and names the next step. */
export class RangedReadError extends ShownError {
  override name = "RangedReadError";
}

/** A failed attempt, classified for the retry engine. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface RangedReaderOptions {
  http: HttpPool;
  /** Presigned GET link; never logged or put in an error message. */
  url: string;
  sizeBytes: number;
  /** Asks for a fresh link when S3 says this one expired; used once per reader. */
  refreshUrl?: (signal?: AbortSignal) => Promise<string>;
  /** Attempts per range, each resuming where the last stopped (default 5). */
  maxAttempts?: number;
  /** First backoff step of an attempt that got no bytes (default: the pool's, else 250 ms). */
  baseDelayMs?: number;
  /** No bytes for this long: the attempt is abandoned and retried (default 60 s). */
  stallTimeoutMs?: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** Something the reader's consumer does with each chunk; a promise holds the next one back. */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

export class RangedReader {
  readonly sizeBytes: number;
  /** Body bytes received over the wire, across every range and attempt. */
  bytesFetched = 0;
  /** Range requests sent, retries included. */
  requestCount = 0;
  #url: string;
  #refreshing: Promise<string> | null = null;
  readonly #options: RangedReaderOptions;

  constructor(options: RangedReaderOptions) {
    this.#options = options;
    this.#url = options.url;
    this.sizeBytes = options.sizeBytes;
  }

  /**
   * Hands bytes [start, end) to `sink` in order, exactly once each, however many attempts it
   * takes. `end` is clamped to the size; an empty range sends no request.
   */
  async pumpRange(start: number, end: number, sink: ChunkSink, options: ReadOptions = {}): Promise<void> {
    const stop = Math.min(end, this.sizeBytes);
    let position = Math.max(0, start);
    if (position >= stop) return;
    const { signal } = options;
    await withRetries(
      async ({ markProgress }) => {
        const before = position;
        try {
          position = await this.#attempt(position, stop, sink, signal);
        } finally {
          // Bytes that arrived are kept: the next attempt asks only for the rest, at once.
          if (position > before) markProgress();
        }
        if (position < stop) {
          throw new AttemptError(
            `the connection ended after ${position - start} of ${stop - start} bytes`,
            true,
          );
        }
      },
      {
        ...this.#options.http.backoff,
        idempotent: true,
        signal,
        maxAttempts: this.#options.maxAttempts ?? 5,
        ...(this.#options.baseDelayMs !== undefined ? { baseDelayMs: this.#options.baseDelayMs } : {}),
      },
    ).catch((error: unknown) => {
      if (signal?.aborted) throw signal.reason ?? error;
      if (error instanceof RangedReadError) throw error;
      throw new RangedReadError(
        `Reading the file from storage failed: ${errorMessage(error)}. Try again in a moment.`,
        { cause: error },
      );
    });
  }

  /** Bytes [start, end) as an async iterable, for code that consumes streams. */
  async *streamRange(start: number, end: number, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    // A one-slot hand-off between the pump and the consumer: the pump waits while a chunk is unread.
    let slot: { chunk: Buffer; taken: () => void } | null = null;
    /** Releases the pump of the chunk the consumer holds now. */
    let yielded: (() => void) | null = null;
    let wake: (() => void) | null = null;
    let finished: { error: unknown } | null = null;
    const notify = () => {
      const waiting = wake;
      wake = null;
      waiting?.();
    };
    const consumerGone = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, consumerGone.signal])
      : consumerGone.signal;
    const pumping = this.pumpRange(
      start,
      end,
      (chunk) =>
        new Promise<void>((taken) => {
          slot = { chunk, taken };
          notify();
        }),
      { signal },
    ).then(
      () => {
        finished = { error: null };
        notify();
      },
      (error: unknown) => {
        finished = { error };
        notify();
      },
    );
    try {
      for (;;) {
        const current = slot as { chunk: Buffer; taken: () => void } | null;
        if (current) {
          slot = null;
          yielded = current.taken;
          yield current.chunk;
          yielded = null;
          current.taken();
          continue;
        }
        const done = finished as { error: unknown } | null;
        if (done) {
          if (done.error !== null) throw done.error;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      if (!finished) {
        // The consumer stopped (break, return): release the pump wherever it waits, then let it end.
        consumerGone.abort(new Error("The reader stopped early."));
        (yielded as (() => void) | null)?.();
        (slot as { taken: () => void } | null)?.taken();
        await pumping;
      }
    }
  }

  /** Exactly bytes [start, start + length) (fewer at the end of the file). */
  async read(start: number, length: number, options: ReadOptions = {}): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await this.pumpRange(start, start + length, (chunk) => void chunks.push(chunk), options);
    return Buffer.concat(chunks);
  }

  /** One request for [position, stop); returns how far it got. */
  async #attempt(position: number, stop: number, sink: ChunkSink, signal?: AbortSignal): Promise<number> {
    const url = this.#url;
    const stallTimeoutMs = this.#options.stallTimeoutMs ?? 60_000;
    this.requestCount += 1;
    let response: HttpResponse;
    try {
      response = await this.#options.http.request(url, {
        method: "GET",
        headers: { range: `bytes=${position}-${stop - 1}` },
        signal,
        headersTimeout: stallTimeoutMs,
        bodyTimeout: stallTimeoutMs,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw classifyNetworkError(error);
    }
    const status = response.statusCode;
    let skipBytes = 0;
    if (status === 200) {
      // The server ignored the range and sends the whole object: drop what comes before it.
      skipBytes = position;
    } else if (status === 206) {
      const range = /bytes (\d+)-\d+\/(\d+|\*)/.exec(String(response.headers["content-range"] ?? ""));
      if (!range || Number(range[1]) !== position) {
        await response.body.dump();
        throw new AttemptError("the storage answered a different range than asked", true);
      }
    } else {
      throw await this.#refusal(response, url, signal);
    }

    let reached = position;
    try {
      for await (const received of response.body) {
        let chunk = received as Buffer;
        this.bytesFetched += chunk.length;
        if (skipBytes > 0) {
          const dropped = Math.min(skipBytes, chunk.length);
          skipBytes -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.length === 0) continue;
        if (reached + chunk.length > stop) chunk = chunk.subarray(0, stop - reached);
        reached += chunk.length;
        await sink(chunk);
        // A 206 ends by itself at `stop`, leaving the connection reusable; a whole object is cut.
        if (reached >= stop && status === 200) break;
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      if (reached > position || RETRYABLE_NETWORK_CODES.has(networkCodeOf(error))) {
        // The bytes that came are kept by the caller; the rest is asked for again.
        if (reached < stop) return reached;
      }
      throw classifyNetworkError(error);
    } finally {
      // A 200 of a whole object, or a range we stopped reading early: don't drain the rest.
      if (!response.body.readableEnded) response.body.destroy();
    }
    return reached;
  }

  /** An answer other than 200/206, as an attempt error; a 403 refreshes the link once. */
  async #refusal(response: HttpResponse, url: string, signal?: AbortSignal): Promise<AttemptError> {
    const status = response.statusCode;
    const text = await response.body.text().catch(() => "");
    const answer = classifyAnswer({ status, retryAfter: response.headers["retry-after"], body: text }, true);
    const detail = answer.s3Code ? ` (${answer.s3Code})` : "";
    if (answer.retry) {
      return new AttemptError(
        `the storage answered ${status}${detail}`,
        true,
        answer.retryAfterMs ?? undefined,
      );
    }
    if (status === 403 && this.#options.refreshUrl) {
      if (await this.#refreshOnce(url, signal)) return new AttemptError("the link had expired", true, 0);
      return new AttemptError(
        `the storage refused the link with HTTP 403${detail} even after asking Vagon for a new one`,
        false,
      );
    }
    if (status === 404) return new AttemptError("the file is no longer in storage", false);
    if (status === 416) return new AttemptError("the file is shorter than Vagon reported", false);
    return new AttemptError(`the storage refused the read with HTTP ${status}${detail}`, false);
  }

  /**
   * True when there is a link other than `failedUrl` to try. Vagon is asked at most once per
   * reader; reads that fail while that request is out wait for its answer.
   */
  async #refreshOnce(failedUrl: string, signal?: AbortSignal): Promise<boolean> {
    if (this.#url !== failedUrl) return true;
    const refresh = this.#options.refreshUrl;
    if (!this.#refreshing) {
      if (!refresh) return false;
      this.#refreshing = refresh(signal).then((url) => {
        this.#url = url;
        return url;
      });
    }
    try {
      await this.#refreshing;
    } catch (error) {
      throw new AttemptError(`asking Vagon for a new link failed: ${errorMessage(error)}`, false);
    }
    return this.#url !== failedUrl;
  }
}

function classifyNetworkError(error: unknown): AttemptError {
  return new AttemptError(errorMessage(error), RETRYABLE_NETWORK_CODES.has(networkCodeOf(error)));
}

export interface StoredFile {
  id: number;
  name: string | null;
  contentType: string | null;
  reader: RangedReader;
}

export type FileLink = Extract<DownloadStart, { kind: "link" }>;

/**
 * The one "file link, or is it a folder?": a finished file's presigned link, or null when Vagon
 * answers a zip job instead (a folder, or several files): that job is cancelled at once.
 */
export async function fileLink(
  client: VagonClient,
  fileId: number,
  signal?: AbortSignal,
): Promise<FileLink | null> {
  const start = await client.startDownload({ fileIds: [fileId] }, { signal });
  if (start.kind === "link") return start;
  await client.abortDownload(start.downloadId).catch(() => {});
  return null;
}

/**
 * A reader for a stored file: asks Vagon for its link (again, once, if the link expires).
 * Resolves to null for a folder.
 */
export async function openStoredFile(
  client: VagonClient,
  fileId: number,
  options: ReadOptions & Partial<Pick<RangedReaderOptions, "maxAttempts" | "baseDelayMs">> = {},
): Promise<StoredFile | null> {
  const { signal } = options;
  const start = await fileLink(client, fileId, signal);
  if (start === null) return null;
  const refreshUrl = async (refreshSignal?: AbortSignal) => {
    const again = await fileLink(client, fileId, refreshSignal);
    if (again === null) throw new Error("Vagon no longer answers a link for this file");
    return again.url;
  };
  const sizeBytes = start.sizeBytes ?? (await probeSize(client.http, start.url, signal));
  return {
    id: fileId,
    name: start.name,
    contentType: start.contentType,
    reader: new RangedReader({ ...options, http: client.http, url: start.url, sizeBytes, refreshUrl }),
  };
}

/** The object's size from a one-byte range (when Vagon did not report it). */
async function probeSize(http: HttpPool, url: string, signal?: AbortSignal): Promise<number> {
  const response = await http.request(url, { method: "GET", headers: { range: "bytes=0-0" }, signal });
  await response.body.dump();
  if (response.statusCode === 416) return 0;
  const total = /\/(\d+)$/.exec(String(response.headers["content-range"] ?? ""))?.[1];
  if (response.statusCode === 206 && total !== undefined) return Number(total);
  const length = Number(response.headers["content-length"]);
  if (response.statusCode === 200 && Number.isFinite(length)) return length;
  throw new RangedReadError(
    `The storage answered HTTP ${response.statusCode} when asked for the file's size. Try again in a moment.`,
  );
}
