// grep over a stream of bytes without trusting the pattern: the regular expression runs in a
// worker thread, fed chunk by chunk, and a watchdog terminates the worker when one chunk takes
// longer than the time budget (catastrophic backtracking): the server's own thread never runs
// the pattern against data, so a hostile pattern can't stall other calls. V8's own engine keeps
// the scan at wire speed; the budget keeps it honest.
//
// Most of a log has no line that can match: when the pattern has a literal every match contains
// (requiredLiteral), a batch without it is not sent at all. The server's thread looks for the
// literal (Buffer#indexOf, no pattern run) and counts the batch's line breaks; the worker hears
// only how many lines passed and the few at their edges it needs for context. On a log with an
// ERROR every 100,000 lines that spares copying ~90 % of it to the worker, the messages each way
// and the worker's own pass: the server's CPU per GiB grepped fell from 1.5-2.0 s to 1.3-1.6 s
// (2-core machine, the sandbox serving on the same cores).
import type { Readable } from "node:stream";
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { ChunkSink } from "../../vagon/ranged-reader.js";
import { countLineBreaks, firstLines, lastLines } from "./line-breaks.js";
import type { Codec } from "./text.js";

/**
 * Bytes pushed into `sink` in order until the input ends (a promise from the sink holds the next
 * chunk back); `signal` fires once the search needs no more. A stored file's ranged reader pumps
 * its body straight in: no async iteration between the socket and the batches.
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

export const MAX_GREP_MATCHES = 200;
/** A matching line is shown around its match, at most this many characters. */
const MATCH_LINE_CHARS = 400;
/** A context line is shown up to this many characters. */
const CONTEXT_LINE_CHARS = 200;
/**
 * Bytes handed to the worker per message: few messages, small enough for a quick watchdog. 1 MiB
 * against 512 KiB: ~5 % less server CPU per GiB grepped (median of 8, load ~4), ~2 MB more memory.
 */
const BATCH_BYTES = 1024 * 1024;
/**
 * With a literal, batches start this many times smaller: a batch that holds it is copied and
 * searched whole, so a rare literal costs 1/8 of the copying and searching. Each batch sent
 * doubles the next (up to BATCH_BYTES, where a dense literal needs few messages); each passed
 * over starts small again.
 */
const SPARSE_BATCH_DIVISOR = 8;
/** A batch's memory beyond its size: its last chunk and the line carried in. */
const BATCH_OVERSHOOT = 256 * 1024;
/** Skipped batches the worker hears of at least this often: its answers carry the progress. */
const SKIP_REPORT_BYTES = 64 * 1024 * 1024;

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
  /** Bytes per batch (default 1 MiB); tests make it small to cross many batch edges. */
  batchBytes?: number;
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

/** What the worker answers for each batch, and for the end. */
interface WorkerAnswer {
  type: "scanned" | "done";
  matches: Required<GrepMatch>[];
  lineNumber: number;
  found: number;
  /** The batch's memory, handed back for the next one. */
  bytes?: ArrayBuffer;
}

/** What the worker hears of batches it is not sent: their bytes, line breaks and edge lines. */
export interface SkipMessage {
  type: "skip";
  length: number;
  newlines: number;
  /** The first `context` lines passed over: the after-context of a match just before them. */
  head: string[];
  /** The last `context` lines passed over: the before-context of a match just after them. */
  tail: string[];
}

/** A batch to search, after the lines passed over since the last message, if any. */
interface ChunkMessage {
  type: "chunk";
  bytes: ArrayBuffer;
  length: number;
  skipped?: SkipMessage;
}

/** The input's end, after the lines passed over since the last message, if any. */
interface EndMessage {
  type: "end";
  skipped?: SkipMessage;
}

/** Every message the worker (grep-worker.ts) is sent. */
export type WorkerMessage = ChunkMessage | SkipMessage | EndMessage;

/** The last line break in parts: which part, and where in it; null when there is none. */
function lastBreak(parts: Buffer[]): { part: number; at: number } | null {
  for (let part = parts.length - 1; part >= 0; part--) {
    const at = (parts[part] as Buffer).lastIndexOf(0x0a);
    if (at !== -1) return { part, at };
  }
  return null;
}

/** The first (or last) parts that hold at least `count` line breaks, joined. */
function edgeBytes(parts: Buffer[], count: number, fromEnd: boolean): Buffer {
  const taken: Buffer[] = [];
  let breaks = 0;
  for (let index = 0; index < parts.length && breaks < count; index++) {
    const part = parts[fromEnd ? parts.length - 1 - index : index] as Buffer;
    taken.push(part);
    breaks += countLineBreaks(part);
  }
  return Buffer.concat(fromEnd ? taken.reverse() : taken);
}

/**
 * Gathers chunks into batches of about `batchBytes`. A batch the worker must search is copied into
 * memory the worker takes over and hands back; a UTF-8 batch ends at its last line break (the rest
 * starts the next), so it decodes alone. With a `literal` every match contains, each chunk is
 * looked at for it as it comes, so a batch without it is passed over where it lies, uncopied.
 */
function createBatcher(codec: Codec, batchBytes: number, literal: Buffer | null) {
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let partialLine: Buffer | null = null;
  /** The literal is in the batch so far (or may be: one across a chunk edge counts). */
  let literalSeen = false;
  /** The chunk before, whose end a literal across the edge starts in (chunks are never reused). */
  let previous: Buffer = Buffer.alloc(0);
  /** The last batch the worker got ended inside a line, which the next one goes on with. */
  let workerMidLine = false;
  const smallestBytes = literal ? Math.max(1, Math.floor(batchBytes / SPARSE_BATCH_DIVISOR)) : batchBytes;
  /** This batch's size: small while the literal is rare (SPARSE_BATCH_DIVISOR). */
  let targetBytes = smallestBytes;
  const spare: ArrayBuffer[] = [];
  const startNext = (rest: Buffer | null) => {
    partialLine = rest;
    parts = [];
    partsBytes = 0;
    literalSeen = literal !== null && (rest?.includes(literal) ?? false);
  };
  return {
    /** Adds a chunk; true once the batch is full. */
    add(chunk: Buffer): boolean {
      if (literal) {
        const reach = literal.length - 1;
        literalSeen ||=
          chunk.includes(literal) ||
          Buffer.concat([previous.subarray(-reach), chunk.subarray(0, reach)]).includes(literal);
        // Whatever this batch holds: the next chunk's edge is this one's end.
        previous = chunk;
      }
      parts.push(chunk);
      partsBytes += chunk.length;
      return partsBytes >= targetBytes;
    },
    get empty(): boolean {
      return partsBytes === 0 && partialLine === null;
    },
    /**
     * The batch's whole lines as a SkipMessage when none can match (no literal, at least
     * `context` lines, and the worker holds no line they go on with); the line after the last
     * break stays for the next batch. Null otherwise: then take() it for the worker.
     */
    takeSkipped(context: number): SkipMessage | null {
      if (!literal || literalSeen || workerMidLine) return null;
      const all = partialLine ? [partialLine, ...parts] : parts;
      const cut = lastBreak(all);
      if (!cut) return null;
      const split = all[cut.part] as Buffer;
      const whole = [...all.slice(0, cut.part), split.subarray(0, cut.at + 1)];
      const rest = [split.subarray(cut.at + 1), ...all.slice(cut.part + 1)];
      let newlines = 0;
      for (const part of whole) newlines += countLineBreaks(part);
      if (newlines < context) return null;
      const skipped: SkipMessage = {
        type: "skip",
        length: whole.reduce((sum, part) => sum + part.length, 0),
        newlines,
        head: context > 0 ? firstLines(edgeBytes(whole, context, false), context) : [],
        tail: context > 0 ? lastLines(edgeBytes(whole, context, true), context) : [],
      };
      const restBytes = Buffer.concat(rest);
      startNext(restBytes.length > 0 ? restBytes : null);
      targetBytes = smallestBytes;
      return skipped;
    },
    /** The batch so far as memory to transfer, and how many of its bytes to search now. */
    take(): { bytes: ArrayBuffer; length: number } {
      const all = partialLine ? [partialLine, ...parts] : parts;
      const total = all.reduce((sum, part) => sum + part.length, 0);
      const reused = spare.findIndex((memory) => memory.byteLength >= total);
      // Room for a batch's usual overshoot: its last chunk and the line carried in.
      const memory =
        reused >= 0
          ? spare.splice(reused, 1)[0]!
          : new ArrayBuffer(Math.max(total, batchBytes + BATCH_OVERSHOOT));
      const bytes = Buffer.from(memory, 0, total);
      let offset = 0;
      for (const part of all) {
        bytes.set(part, offset);
        offset += part.length;
      }
      const cut = codec.encoding === "utf-8" ? bytes.lastIndexOf(0x0a) + 1 : 0;
      const length = cut > 0 ? cut : total;
      workerMidLine = bytes[length - 1] !== 0x0a;
      startNext(length < total ? Buffer.from(bytes.subarray(length)) : null);
      targetBytes = Math.min(batchBytes, targetBytes * 2);
      return { bytes: memory, length };
    },
    /** Memory the worker handed back. */
    reclaim(memory: ArrayBuffer | undefined) {
      if (memory && spare.length < 4) spare.push(memory);
    },
  };
}

/** Gathers what the worker is not sent into one message, so it hears of skipped lines seldom. */
function createSkipper() {
  let pending: SkipMessage | null = null;
  return {
    absorb(skipped: SkipMessage) {
      // Each batch passed over has `context` lines at least: the first one's head and the last
      // one's tail are the region's.
      if (!pending) pending = skipped;
      else {
        pending.length += skipped.length;
        pending.newlines += skipped.newlines;
        pending.tail = skipped.tail;
      }
    },
    get pendingBytes(): number {
      return pending?.length ?? 0;
    },
    take(): SkipMessage | null {
      const taken = pending;
      pending = null;
      return taken;
    },
  };
}

/** Calls `onStall` when the worker holds a batch longer than `budgetMs` (a pattern that backtracks). */
function createWatchdog(budgetMs: number, onStall: () => void) {
  let timer: NodeJS.Timeout | null = null;
  return {
    /** The clock starts again while the worker has batches to search, and stops when it has none. */
    reset(busy: boolean) {
      if (timer) clearTimeout(timer);
      timer = busy ? setTimeout(onStall, budgetMs) : null;
    },
  };
}

function workerDataFor(codec: Codec, options: GrepOptions, maxMatches: number) {
  return {
    pattern: options.pattern,
    flags: options.ignoreCase ? "i" : "",
    context: options.context,
    maxMatches,
    encoding: codec.encoding,
    matchChars: MATCH_LINE_CHARS,
    contextChars: CONTEXT_LINE_CHARS,
    literal: codec.encoding === "utf-8" ? requiredLiteral(options.pattern, options.ignoreCase) : null,
  };
}

function shownMatch(match: Required<GrepMatch>): GrepMatch {
  return {
    line: match.line,
    text: match.text,
    ...(match.before.length > 0 ? { before: match.before } : {}),
    ...(match.after.length > 0 ? { after: match.after } : {}),
  };
}

/** Searches what `pump` sends line by line; stops at the match limit, on cancellation or at the watchdog. */
export async function grepStream(pump: BytePump, codec: Codec, options: GrepOptions): Promise<GrepResult> {
  const maxMatches = options.maxMatches ?? MAX_GREP_MATCHES;
  const workerData = workerDataFor(codec, options, maxMatches);
  const worker = startGrepWorker({
    workerData,
    // A pattern can't grow the heap without bound either.
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  const matches: GrepMatch[] = [];
  /** Lengths of the batches sent and not yet answered, in order (the end counts as 0). */
  const sent: number[] = [];
  let scannedBytes = 0;
  let lineNumber = 1;
  /** Fires once the search is settled: the pump stops reading. */
  const stop = new AbortController();
  let wakeFeeder: (() => void) | null = null;
  const wake = () => {
    const waiting = wakeFeeder;
    wakeFeeder = null;
    waiting?.();
  };

  let resolveDone!: (result: GrepResult) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<GrepResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const settle = (result: GrepResult | { error: unknown }) => {
    if (stop.signal.aborted) return;
    stop.abort(new Error("The search needs no more bytes."));
    wake();
    watchdog.reset(false);
    void worker.terminate();
    if ("error" in result) rejectDone(result.error);
    else resolveDone(result);
  };
  const watchdog = createWatchdog(options.chunkBudgetMs ?? 2000, () =>
    settle({
      matches,
      scannedBytes,
      complete: false,
      stopped: "regex_timeout",
      stalledAfterLine: lineNumber,
    }),
  );
  const abort = () => settle({ error: options.signal?.reason ?? new Error("cancelled") });
  options.signal?.addEventListener("abort", abort, { once: true });

  const literal = workerData.literal === null ? null : Buffer.from(workerData.literal);
  const batcher = createBatcher(codec, options.batchBytes ?? BATCH_BYTES, literal);
  const skipper = createSkipper();
  const post = (message: WorkerMessage) => {
    const skippedBytes = message.type === "skip" ? message.length : (message.skipped?.length ?? 0);
    sent.push(skippedBytes + (message.type === "chunk" ? message.length : 0));
    if (message.type === "chunk") worker.postMessage(message, [message.bytes]);
    else worker.postMessage(message);
    if (sent.length === 1) watchdog.reset(true);
  };
  /** The lines passed over since the last message, to go with the next one (one message, not two). */
  const withSkipped = () => {
    const skipped = skipper.take();
    return skipped ? { skipped } : {};
  };
  const sendBatch = () => {
    const skipped = batcher.takeSkipped(options.context);
    if (skipped) {
      skipper.absorb(skipped);
      const report = skipper.pendingBytes >= SKIP_REPORT_BYTES ? skipper.take() : null;
      if (report) post(report);
      return;
    }
    const batch = batcher.take();
    post({ type: "chunk", ...batch, ...withSkipped() });
  };
  worker.on("message", (answer: WorkerAnswer) => {
    batcher.reclaim(answer.bytes);
    scannedBytes += sent.shift() ?? 0;
    lineNumber = answer.lineNumber;
    matches.push(...answer.matches.map(shownMatch));
    options.onProgress?.(scannedBytes);
    watchdog.reset(sent.length > 0);
    wake();
    if (answer.found >= maxMatches)
      settle({ matches, scannedBytes, complete: false, stopped: "match_limit" });
    else if (answer.type === "done") settle({ matches, scannedBytes, complete: true });
  });
  worker.on("error", (error) => settle({ error }));

  const sink = async (chunk: Buffer) => {
    if (stop.signal.aborted || !batcher.add(chunk)) return;
    sendBatch();
    // Keep the worker a little ahead, no more: memory stays flat, the watchdog stays fair.
    while (sent.length > 2 && !stop.signal.aborted) {
      await new Promise<void>((resolve) => {
        wakeFeeder = resolve;
      });
    }
  };
  const feeding = pump(sink, stop.signal)
    .then(() => {
      if (stop.signal.aborted) return;
      while (!batcher.empty) sendBatch();
      post({ type: "end", ...withSkipped() });
    })
    .catch((error: unknown) => settle({ error }));

  try {
    return await done;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    await feeding;
  }
}
