// The baselines' client: forked by bench/lib.ts runRaw(), it runs one raw transfer in its own
// process (as the server under test runs in its own), times it itself and reports over IPC.
// Nothing of MCP and no engine of ours on the byte path: plain undici against the sandbox.
import { createReadStream, createWriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Agent, request } from "undici";
import { createVagonClient } from "../src/vagon/client.js";

export type RawTask =
  | { kind: "put"; url: string; filePath: string }
  /** filePath null: the body is counted and dropped (the wire alone, no disk). */
  | { kind: "get"; url: string; filePath: string | null }
  | {
      kind: "walk";
      apiUrl: string;
      apiKey: string;
      apiSecret: string;
      parentId: number;
      perPage: number;
      /** Pages walked untimed first, so the timed walk runs warm like a long-lived server. */
      warmupPages: number;
    };

export interface RawPutResult {
  elapsedMs: number;
  etag: string;
  bytes: number;
}
export interface RawGetResult {
  /** Until the bytes are on disk (fdatasync done): what a download that can be trusted costs. */
  elapsedMs: number;
  /** Until the last byte was handed to the page cache, not yet flushed. */
  nonDurableMs: number;
  bytes: number;
}
export interface RawWalkResult {
  elapsedMs: number;
  entries: number;
  pages: number;
}

export type RawTaskResult<T extends RawTask> = T extends { kind: "put" }
  ? RawPutResult
  : T extends { kind: "get" }
    ? RawGetResult
    : RawWalkResult;

const dispatcher = new Agent({ connections: 1, bodyTimeout: 0, headersTimeout: 0 });

/** One PUT of the whole file, Content-Length set, body streamed from disk. */
async function put(task: Extract<RawTask, { kind: "put" }>): Promise<RawPutResult> {
  const { size } = await stat(task.filePath);
  const startedAt = performance.now();
  const response = await request(task.url, {
    method: "PUT",
    dispatcher,
    headers: { "content-length": String(size) },
    body: createReadStream(task.filePath, { highWaterMark: 1024 * 1024 }),
  });
  await response.body.text();
  const elapsedMs = performance.now() - startedAt;
  if (response.statusCode !== 200) throw new Error(`PUT answered ${response.statusCode}`);
  const etag = response.headers.etag;
  return { elapsedMs, etag: Array.isArray(etag) ? etag[0]! : (etag ?? ""), bytes: size };
}

/**
 * One GET of the presigned link, piped to a file, then fdatasync'd: the tool flushes before it
 * names the file, so the baseline counts as done only once its bytes are on disk too. The time
 * to the last byte written (not flushed) is kept beside it.
 */
async function get(task: Extract<RawTask, { kind: "get" }>): Promise<RawGetResult> {
  const startedAt = performance.now();
  const response = await request(task.url, { method: "GET", dispatcher });
  if (response.statusCode !== 200) {
    await response.body.text();
    throw new Error(`GET answered ${response.statusCode}`);
  }
  if (task.filePath === null) {
    let bytes = 0;
    for await (const chunk of response.body) bytes += (chunk as Buffer).length;
    // Nothing written, so nothing to flush.
    const elapsedMs = performance.now() - startedAt;
    return { elapsedMs, nonDurableMs: elapsedMs, bytes };
  }
  await pipeline(response.body, createWriteStream(task.filePath, { highWaterMark: 1024 * 1024 }));
  const nonDurableMs = performance.now() - startedAt;
  const handle = await open(task.filePath, "r+");
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  const elapsedMs = performance.now() - startedAt;
  const { size } = await stat(task.filePath);
  return { elapsedMs, nonDurableMs, bytes: size };
}

/** What an agent does without list_files' fan-out: page after page at the API default of 20. */
async function walk(task: Extract<RawTask, { kind: "walk" }>): Promise<RawWalkResult> {
  const client = createVagonClient({ apiUrl: task.apiUrl, apiKey: task.apiKey, apiSecret: task.apiSecret });
  const walkPages = async (maxPages: number) => {
    let page: number | null = 1;
    let entries = 0;
    let pages = 0;
    while (page !== null && pages < maxPages) {
      const listing = await client.listFiles({
        location: "shared",
        parentId: task.parentId,
        page,
        perPage: task.perPage,
      });
      entries += listing.entries.length;
      pages++;
      page = listing.nextPage;
    }
    return { entries, pages };
  };
  try {
    await walkPages(task.warmupPages);
    const startedAt = performance.now();
    const { entries, pages } = await walkPages(Number.POSITIVE_INFINITY);
    return { elapsedMs: performance.now() - startedAt, entries, pages };
  } finally {
    await client.close();
  }
}

async function run(task: RawTask): Promise<unknown> {
  switch (task.kind) {
    case "put":
      return put(task);
    case "get":
      return get(task);
    case "walk":
      return walk(task);
  }
}

process.once("message", (task: RawTask) => {
  run(task).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) =>
      process.send?.({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
