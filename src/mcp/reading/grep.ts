// grep over a stream of bytes without trusting the pattern: the regular expression runs in a
// worker thread, fed chunk by chunk, and a watchdog terminates the worker when one chunk takes
// longer than the time budget (catastrophic backtracking): the server's own thread never runs
// the pattern against data, so a hostile pattern can't stall other calls. V8's own engine keeps
// the scan at wire speed; the budget keeps it honest.
import type { Readable } from "node:stream";
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { ChunkSink } from "../../vagon/ranged-reader.js";
import type { Codec } from "./text.js";

export const MAX_GREP_MATCHES = 200;
/** A matching line is shown around its match, at most this many characters. */
const MATCH_LINE_CHARS = 400;
/** A context line is shown up to this many characters. */
const CONTEXT_LINE_CHARS = 200;
/**
 * Bytes handed to the worker per message: few messages, small enough for a quick watchdog. 1 MiB
 * against 512 KiB: ~5 % less server CPU per GiB grepped (median of 8, load ~4), ~2 MB more memory.
 */
const BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Batches in flight: the feeder fills one while the worker searches the others, and waits when
 * all are taken (memory stays flat at RING_SLOTS × BATCH_BYTES, the watchdog stays fair).
 */
const RING_SLOTS = 4;
/** The ring in WebAssembly pages of 64 KiB. */
const RING_PAGES = (RING_SLOTS * BATCH_BYTES) / 65_536;

export interface GrepMatch {
  line: number;
  text: string;
  before?: string[];
  after?: string[];
}

export interface GrepOptions {
  pattern: string;
  ignoreCase: boolean;
  /** Context lines before and after each match. */
  context: number;
  maxMatches?: number;
  /** Longest time the worker may spend on one chunk before it is stopped (default 2 s). */
  chunkBudgetMs?: number;
  signal?: AbortSignal;
  onProgress?: (scannedBytes: number) => void;
}

export interface GrepResult {
  matches: GrepMatch[];
  scannedBytes: number;
  /** The whole input was searched. */
  complete: boolean;
  stopped?: "match_limit" | "regex_timeout";
  /** The line number the search had reached when the watchdog stopped it. */
  stalledAfterLine?: number;
}

/** The flags a pattern is compiled with, or an error message when it does not compile. */
export function checkPattern(pattern: string, ignoreCase: boolean): string | null {
  try {
    new RegExp(pattern, ignoreCase ? "gmi" : "gm");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * A piece of text every match of `pattern` contains, when one is easy to see: the longest run of
 * plain characters outside groups, classes and quantified atoms, in a pattern without a top-level
 * alternation. Null when there is none (or case is ignored): then every line is tested.
 */
export function requiredLiteral(pattern: string, ignoreCase: boolean): string | null {
  if (ignoreCase) return null;
  let best = "";
  let run = "";
  let depth = 0;
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = "";
  };
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    const next = pattern[index + 1];
    if (char === "\\") {
      // An escaped punctuation mark is itself; \d, \w, \b, \1 and the like are not literals.
      if (next !== undefined && /[^A-Za-z0-9]/.test(next) && depth === 0) {
        index += 1;
        if (/[?*{]/.test(pattern[index + 1] ?? "")) endRun();
        else run += next;
        continue;
      }
      index += 1;
      endRun();
      continue;
    }
    if (char === "[") {
      endRun();
      for (index += 1; index < pattern.length && pattern[index] !== "]"; index++)
        if (pattern[index] === "\\") index += 1;
      continue;
    }
    if (char === "(") {
      depth += 1;
      endRun();
      continue;
    }
    if (char === ")") {
      depth -= 1;
      endRun();
      continue;
    }
    if (char === "|" && depth === 0) return null;
    if (depth > 0) continue;
    if (/[.^$+]/.test(char)) {
      endRun();
      continue;
    }
    if (/[?*{]/.test(char)) {
      // The atom before may be absent: it leaves the run.
      run = run.slice(0, -1);
      endRun();
      if (char === "{") while (index < pattern.length && pattern[index] !== "}") index += 1;
      continue;
    }
    if (/[?*{]/.test(next ?? "")) {
      endRun();
      continue;
    }
    run += char;
  }
  endRun();
  return best.length >= 2 ? best : null;
}

// The bundle's name for the worker file beside it (scripts/build.mjs defines it); undefined
// when running from source.
declare const __GREP_WORKER_FILE__: string | undefined;

/** Starts grep-worker: the built file beside the bundle, or from source the .ts module through tsx. */
function startGrepWorker(options: WorkerOptions): Worker {
  if (typeof __GREP_WORKER_FILE__ === "string") {
    return new Worker(new URL(__GREP_WORKER_FILE__, import.meta.url), options);
  }
  const source = JSON.stringify(new URL("./grep-worker.ts", import.meta.url).href);
  const load = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${source}, ${source}))`;
  return new Worker(load, { ...options, eval: true });
}

/**
 * Bytes pushed into `sink` in order until the input ends (a promise from the sink holds the next
 * chunk back); `signal` fires when the search needs no more. A stored file's ranged reader pumps
 * its body straight in, with no async iteration between the socket and the search.
 */
export type BytePump = (sink: ChunkSink, signal: AbortSignal) => Promise<void>;

/** A stream (a zip member being inflated) as a BytePump. */
export function pumpStream(stream: Readable): BytePump {
  return async (sink, signal) => {
    for await (const chunk of stream) {
      if (signal.aborted) break;
      await sink(chunk as Buffer);
    }
    if (signal.aborted) stream.destroy();
  };
}

/** Searches what `pump` sends line by line; stops at the match limit, on cancellation or at the watchdog. */
export async function grepStream(pump: BytePump, codec: Codec, options: GrepOptions): Promise<GrepResult> {
  const maxMatches = options.maxMatches ?? MAX_GREP_MATCHES;
  const budgetMs = options.chunkBudgetMs ?? 2000;
  // The batches live in memory both threads see: the feeder copies the stream into a free slot and
  // names it in a message; the worker searches it in place (counting its lines with line-feeds.wat)
  // and answers. Transferring an ArrayBuffer per batch cost this thread ~0.17 s per GiB in
  // postMessage alone.
  const memory = new WebAssembly.Memory({ initial: RING_PAGES, maximum: RING_PAGES, shared: true });
  const ring = memory.buffer;
  const worker = startGrepWorker({
    workerData: {
      memory,
      slotBytes: BATCH_BYTES,
      pattern: options.pattern,
      flags: options.ignoreCase ? "i" : "",
      context: options.context,
      maxMatches,
      encoding: codec.encoding,
      matchChars: MATCH_LINE_CHARS,
      contextChars: CONTEXT_LINE_CHARS,
      literal: codec.encoding === "utf-8" ? requiredLiteral(options.pattern, options.ignoreCase) : null,
    },
    // A pattern can't grow the heap without bound either.
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  const matches: GrepMatch[] = [];
  let scannedBytes = 0;
  let outstanding = 0;
  let lineNumber = 1;
  let finished: ((result: GrepResult) => void) | null = null;
  let failed: ((error: unknown) => void) | null = null;
  let stopReading = false;
  /** Tells the pump to stop once the search is settled. */
  const pumpDone = new AbortController();
  let watchdog: NodeJS.Timeout | null = null;
  let settled = false;
  const sizes: number[] = [];
  let wakeFeeder: (() => void) | null = null;
  const wake = () => {
    const waiting = wakeFeeder;
    wakeFeeder = null;
    waiting?.();
  };

  const done = new Promise<GrepResult>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const settle = (result: GrepResult | { error: unknown }) => {
    if (settled) return;
    settled = true;
    stopReading = true;
    pumpDone.abort(new Error("The search needs no more bytes."));
    wake();
    if (watchdog) clearTimeout(watchdog);
    void worker.terminate();
    if ("error" in result) failed?.(result.error);
    else finished?.(result);
  };
  const armWatchdog = () => {
    if (watchdog) clearTimeout(watchdog);
    watchdog =
      outstanding > 0
        ? setTimeout(
            () =>
              settle({
                matches,
                scannedBytes,
                complete: false,
                stopped: "regex_timeout",
                stalledAfterLine: lineNumber,
              }),
            budgetMs,
          )
        : null;
  };
  const abort = () => settle({ error: options.signal?.reason ?? new Error("cancelled") });
  options.signal?.addEventListener("abort", abort, { once: true });

  worker.on(
    "message",
    (message: { type: string; matches: Required<GrepMatch>[]; lineNumber: number; found: number }) => {
      outstanding -= 1;
      scannedBytes += sizes.shift() ?? 0;
      lineNumber = message.lineNumber;
      for (const match of message.matches) {
        matches.push({
          line: match.line,
          text: match.text,
          ...(match.before.length > 0 ? { before: match.before } : {}),
          ...(match.after.length > 0 ? { after: match.after } : {}),
        });
      }
      options.onProgress?.(scannedBytes);
      armWatchdog();
      wake();
      if (message.found >= maxMatches) {
        settle({ matches, scannedBytes, complete: false, stopped: "match_limit" });
      } else if (message.type === "done") {
        settle({ matches, scannedBytes, complete: true });
      }
    },
  );
  worker.on("error", (error) => settle({ error }));

  /** The slot the feeder fills next, and how many bytes it holds so far. */
  let slot = 0;
  let filled = 0;
  const slotView = (index: number) => new Uint8Array(ring, index * BATCH_BYTES, BATCH_BYTES);
  /** Hands the filled slot to the worker, up to its last line break (UTF-8: each batch decodes alone). */
  const send = () => {
    const bytes = slotView(slot);
    let length = filled;
    if (codec.encoding === "utf-8") {
      const cut = bytes.lastIndexOf(0x0a, filled - 1) + 1;
      if (cut > 0) length = cut;
    }
    outstanding += 1;
    sizes.push(length);
    worker.postMessage({ type: "chunk", slot, length });
    if (outstanding === 1) armWatchdog();
    // The unfinished line starts the next slot.
    const next = (slot + 1) % RING_SLOTS;
    slotView(next).set(bytes.subarray(length, filled));
    filled -= length;
    slot = next;
  };
  const slotFree = async () => {
    // The next slot is free once the worker answered for the batch sent RING_SLOTS - 1 before.
    while (outstanding >= RING_SLOTS - 1 && !stopReading) {
      await new Promise<void>((resolve) => {
        wakeFeeder = resolve;
      });
    }
  };

  /** Copies a chunk into the ring; the promise, when the ring is full, holds the pump back. */
  const sink = async (chunk: Buffer) => {
    for (let offset = 0; offset < chunk.length && !stopReading; ) {
      const taken = Math.min(chunk.length - offset, BATCH_BYTES - filled);
      slotView(slot).set(chunk.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === BATCH_BYTES) {
        send();
        await slotFree();
      }
    }
  };
  const feeding = pump(sink, pumpDone.signal)
    .then(() => {
      if (stopReading) return;
      if (filled > 0) send();
      outstanding += 1;
      sizes.push(0);
      worker.postMessage({ type: "end" });
      armWatchdog();
    })
    .catch((error: unknown) => settle({ error }));

  try {
    return await done;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    stopReading = true;
    await feeding;
  }
}
