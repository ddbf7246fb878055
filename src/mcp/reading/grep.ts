// grep over a stream of bytes without trusting the pattern: the regular expression runs in a
// worker thread, fed chunk by chunk, and a watchdog terminates the worker when one chunk takes
// longer than the time budget (catastrophic backtracking): the server's own thread never runs
// the pattern against data, so a hostile pattern can't stall other calls. V8's own engine keeps
// the scan at wire speed; the budget keeps it honest.
import { Worker } from "node:worker_threads";
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
const BATCH_BYTES = 1024 * 1024;
/** A batch's memory: a batch overshoots BATCH_BYTES by its last chunk and the line carried in. */
const BATCH_CAPACITY = BATCH_BYTES + 256 * 1024;

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

/**
 * The worker's whole program; it is started from this function's source (eval), so it must not
 * reference anything outside itself. Lines are found by running the pattern over each batch
 * (V8 skips ahead fast) and confirming a candidate on its own line, as grep matches per line.
 */
function grepWorkerMain(): void {
  const { parentPort, workerData } = require("node:worker_threads");
  const data = workerData as {
    pattern: string;
    flags: string;
    context: number;
    maxMatches: number;
    encoding: string;
    matchChars: number;
    contextChars: number;
    literal: string | null;
  };
  const search = new RegExp(data.pattern, `${data.flags}gm`);
  const confirm = new RegExp(data.pattern, `${data.flags}m`);
  const decoder = new TextDecoder(data.encoding);
  const context = data.context;
  let carry = "";
  let lineNumber = 1;
  let found = 0;
  let recent: string[] = [];
  let waitingForAfter: { after: string[]; need: number }[] = [];
  const trimLine = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
  const shorten = (line: string, limit: number, around: number) => {
    if (line.length <= limit) return line;
    const from = Math.max(0, Math.min(around - Math.floor(limit / 4), line.length - limit));
    return `${from > 0 ? "…" : ""}${line.slice(from, from + limit)}${from + limit < line.length ? "…" : ""}`;
  };

  const scan = (body: string) => {
    const matches: { line: number; text: string; before: string[]; after: string[] }[] = [];
    let countedTo = 0;
    let countedLine = lineNumber;
    // Lines at the start of this batch complete the after-context of earlier matches.
    if (waitingForAfter.length > 0) {
      let from = 0;
      while (waitingForAfter.length > 0 && from < body.length) {
        const end = body.indexOf("\n", from);
        const line = trimLine(body.slice(from, end === -1 ? body.length : end));
        for (const waiting of waitingForAfter) {
          waiting.after.push(shorten(line, data.contextChars, 0));
          waiting.need -= 1;
        }
        waitingForAfter = waitingForAfter.filter((waiting) => waiting.need > 0);
        if (end === -1) break;
        from = end + 1;
      }
    }
    search.lastIndex = 0;
    while (found < data.maxMatches) {
      const hit = search.exec(body);
      if (!hit) break;
      const at = hit.index;
      const lineStart = body.lastIndexOf("\n", at - 1) + 1;
      let lineEnd = body.indexOf("\n", at);
      if (lineEnd === -1) lineEnd = body.length;
      const line = trimLine(body.slice(lineStart, lineEnd));
      if (at + hit[0].length > lineEnd && !confirm.test(line)) {
        // The candidate spans a line break: grep's answer is per line.
        search.lastIndex = at + 1;
        continue;
      }
      for (
        let index = body.indexOf("\n", countedTo);
        index !== -1 && index < lineStart;
        index = body.indexOf("\n", index + 1)
      ) {
        countedLine += 1;
        countedTo = index + 1;
      }
      countedTo = Math.max(countedTo, lineStart);
      const before: string[] = [];
      let cursor = lineStart;
      while (before.length < context && cursor > 0) {
        const previousStart = body.lastIndexOf("\n", cursor - 2) + 1;
        before.unshift(shorten(trimLine(body.slice(previousStart, cursor - 1)), data.contextChars, 0));
        cursor = previousStart;
      }
      if (before.length < context) before.unshift(...recent.slice(recent.length - (context - before.length)));
      const after: string[] = [];
      cursor = lineEnd + 1;
      while (after.length < context && cursor < body.length) {
        let nextEnd = body.indexOf("\n", cursor);
        if (nextEnd === -1) nextEnd = body.length;
        after.push(shorten(trimLine(body.slice(cursor, nextEnd)), data.contextChars, 0));
        cursor = nextEnd + 1;
      }
      const match = {
        line: countedLine,
        text: shorten(line, data.matchChars, at - lineStart),
        before,
        after,
      };
      if (after.length < context) waitingForAfter.push({ after, need: context - after.length });
      matches.push(match);
      found += 1;
      if (lineEnd >= body.length) break;
      search.lastIndex = lineEnd + 1;
    }
    for (let index = body.indexOf("\n", countedTo); index !== -1; index = body.indexOf("\n", index + 1)) {
      countedLine += 1;
    }
    lineNumber = countedLine;
    if (context > 0) {
      const tail: string[] = [];
      let cursor = body.length;
      while (tail.length < context && cursor > 0) {
        const start = body.lastIndexOf("\n", cursor - 2) + 1;
        tail.unshift(shorten(trimLine(body.slice(start, cursor - 1)), data.contextChars, 0));
        cursor = start;
      }
      recent = [...recent, ...tail].slice(-context);
    }
    return matches;
  };

  // With a literal every match must contain, lines are found in the bytes (memchr-fast) and only
  // candidate lines are decoded and tested; line breaks are counted by Buffer#indexOf, native and
  // about twice as fast as a JS loop over 32-bit words (0.16 against 0.37 s of CPU per GiB of
  // 100-byte lines; Node 20, 2-core machine).
  const literal = data.literal === null ? null : Buffer.from(data.literal);
  const countNewlines = (bytes: Buffer, from: number, to: number): number => {
    const span = bytes.subarray(from, to);
    let count = 0;
    for (let index = span.indexOf(10); index !== -1; index = span.indexOf(10, index + 1)) count += 1;
    return count;
  };
  const lineAt = (bytes: Buffer, start: number) => {
    const end = bytes.indexOf(10, start);
    return end === -1 ? bytes.length : end;
  };
  const textOf = (bytes: Buffer, start: number, end: number) => trimLine(bytes.toString("utf8", start, end));
  const scanBytes = (body: Buffer, needle: Buffer) => {
    const matches: { line: number; text: string; before: string[]; after: string[] }[] = [];
    let counted = 0;
    let countedLine = lineNumber;
    let from = 0;
    while (waitingForAfter.length > 0 && from < body.length) {
      const end = lineAt(body, from);
      const line = shorten(textOf(body, from, end), data.contextChars, 0);
      for (const waiting of waitingForAfter) {
        waiting.after.push(line);
        waiting.need -= 1;
      }
      waitingForAfter = waitingForAfter.filter((waiting) => waiting.need > 0);
      from = end + 1;
    }
    from = 0;
    while (found < data.maxMatches) {
      const hit = body.indexOf(needle, from);
      if (hit === -1) break;
      const start = hit === 0 ? 0 : body.lastIndexOf(10, hit - 1) + 1;
      const end = lineAt(body, hit);
      from = end + 1;
      const line = textOf(body, start, end);
      if (!confirm.test(line)) continue;
      countedLine += countNewlines(body, counted, start);
      counted = start;
      const before: string[] = [];
      let cursor = start;
      while (before.length < context && cursor > 0) {
        const previousStart = cursor - 1 === 0 ? 0 : body.lastIndexOf(10, cursor - 2) + 1;
        before.unshift(shorten(textOf(body, previousStart, cursor - 1), data.contextChars, 0));
        cursor = previousStart;
      }
      if (before.length < context) before.unshift(...recent.slice(recent.length - (context - before.length)));
      const after: string[] = [];
      cursor = end + 1;
      while (after.length < context && cursor < body.length) {
        const nextEnd = lineAt(body, cursor);
        after.push(shorten(textOf(body, cursor, nextEnd), data.contextChars, 0));
        cursor = nextEnd + 1;
      }
      if (after.length < context) waitingForAfter.push({ after, need: context - after.length });
      matches.push({
        line: countedLine,
        text: shorten(line, data.matchChars, line.indexOf(data.literal ?? "")),
        before,
        after,
      });
      found += 1;
    }
    countedLine += countNewlines(body, counted, body.length);
    lineNumber = countedLine;
    if (context > 0) {
      const tail: string[] = [];
      let cursor = body.length;
      while (tail.length < context && cursor > 0) {
        const start = cursor - 1 === 0 ? 0 : body.lastIndexOf(10, cursor - 2) + 1;
        tail.unshift(shorten(textOf(body, start, cursor - 1), data.contextChars, 0));
        cursor = start;
      }
      recent = [...recent, ...tail].slice(-context);
    }
    return matches;
  };

  // Every answer hands the chunk's memory back (nothing here keeps a view of it): the feeder
  // copies the next batch into it instead of allocating, so no ArrayBuffer churns per batch.
  const reply = (message: { type: string; bytes?: ArrayBuffer }, answer: Record<string, unknown>) => {
    if (message.bytes) parentPort.postMessage({ ...answer, bytes: message.bytes }, [message.bytes]);
    else parentPort.postMessage(answer);
  };
  const { isAscii } = require("node:buffer");
  const utf8 = data.encoding === "utf-8";
  let carryBytes: Buffer | null = null;
  const onBytes = (
    message: { type: "chunk"; bytes: ArrayBuffer; length: number } | { type: "end" },
    needle: Buffer,
  ) => {
    let body: Buffer;
    if (message.type === "chunk") {
      const bytes = Buffer.from(message.bytes, 0, message.length);
      const joined: Buffer = carryBytes ? Buffer.concat([carryBytes, bytes]) : bytes;
      const lastNewline = joined.lastIndexOf(10);
      if (lastNewline === -1 && joined.length < 4 * 1024 * 1024) {
        // A copy: the message's memory goes back to the feeder.
        carryBytes = Buffer.from(joined);
        reply(message, { type: "scanned", matches: [], lineNumber, found });
        return;
      }
      body = lastNewline === -1 ? joined : joined.subarray(0, lastNewline + 1);
      carryBytes =
        lastNewline === -1 || lastNewline + 1 === joined.length
          ? null
          : Buffer.from(joined.subarray(lastNewline + 1));
    } else {
      body = carryBytes ?? Buffer.alloc(0);
      carryBytes = null;
    }
    const matches = scanBytes(body, needle);
    reply(message, { type: message.type === "end" ? "done" : "scanned", matches, lineNumber, found });
  };
  parentPort.on(
    "message",
    (message: { type: "chunk"; bytes: ArrayBuffer; length: number } | { type: "end" }) => {
      if (literal !== null && utf8) return onBytes(message, literal);
      let body: string;
      if (message.type === "chunk") {
        const bytes = Buffer.from(message.bytes, 0, message.length);
        // UTF-8 batches end at a line break, so each decodes on its own; an ASCII one (most logs)
        // as Latin-1, several times faster than UTF-8 decoding and the same text.
        const decoded = !utf8
          ? decoder.decode(bytes, { stream: true })
          : isAscii(bytes)
            ? bytes.toString("latin1")
            : decoder.decode(bytes);
        const text = carry + decoded;
        const lastNewline = text.lastIndexOf("\n");
        // A line that never ends is searched in pieces rather than held whole.
        if (lastNewline === -1 && text.length < 4 * 1024 * 1024) {
          carry = text;
          reply(message, { type: "scanned", matches: [], lineNumber, found });
          return;
        }
        body = lastNewline === -1 ? text : text.slice(0, lastNewline + 1);
        carry = lastNewline === -1 ? "" : text.slice(lastNewline + 1);
      } else {
        body = carry + (utf8 ? "" : decoder.decode());
        carry = "";
      }
      const matches = scan(body);
      reply(message, { type: message.type === "end" ? "done" : "scanned", matches, lineNumber, found });
    },
  );
}

// Transpilers that keep function names (tsx, vitest) wrap arrows in a __name() helper of their module.
const WORKER_SOURCE = `var __name = (target) => target;\n(${grepWorkerMain.toString()})()`;

/** Searches `chunks` line by line; stops at the match limit, on cancellation or at the watchdog. */
export async function grepStream(
  chunks: AsyncIterable<Buffer>,
  codec: Codec,
  options: GrepOptions,
): Promise<GrepResult> {
  const maxMatches = options.maxMatches ?? MAX_GREP_MATCHES;
  const budgetMs = options.chunkBudgetMs ?? 2000;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
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
    (message: {
      type: string;
      matches: Required<GrepMatch>[];
      lineNumber: number;
      found: number;
      bytes?: ArrayBuffer;
    }) => {
      outstanding -= 1;
      if (message.bytes && spare.length < 4) spare.push(message.bytes);
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

  // The bytes after a batch's last line break, sent with the next one.
  let partialLine: Buffer | null = null;
  /** Memory the worker handed back, reused for the next batches. */
  const spare: ArrayBuffer[] = [];
  const send = (batch: Buffer[]) => {
    const parts = partialLine ? [partialLine, ...batch] : batch;
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const reused = spare.findIndex((memory) => memory.byteLength >= total);
    // The worker takes the memory over (and hands it back); room for a batch's usual overshoot.
    const owned =
      reused >= 0 ? spare.splice(reused, 1)[0]! : new ArrayBuffer(Math.max(total, BATCH_CAPACITY));
    const bytes = Buffer.from(owned, 0, total);
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    let length = total;
    if (codec.encoding === "utf-8") {
      const cut = bytes.lastIndexOf(0x0a) + 1;
      if (cut > 0) length = cut;
    }
    partialLine = length < total ? Buffer.from(bytes.subarray(length)) : null;
    outstanding += 1;
    sizes.push(length);
    worker.postMessage({ type: "chunk", bytes: owned, length }, [owned]);
    if (outstanding === 1) armWatchdog();
  };

  const feeding = (async () => {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const chunk of chunks) {
      if (stopReading) break;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH_BYTES) {
        send(batch);
        batch = [];
        batchBytes = 0;
        // Keep the worker a little ahead, no more: memory stays flat, the watchdog stays fair.
        while (outstanding > 2 && !stopReading) {
          await new Promise<void>((resolve) => {
            wakeFeeder = resolve;
          });
        }
      }
    }
    if (stopReading) return;
    if (batchBytes > 0 || partialLine) send(batch);
    outstanding += 1;
    sizes.push(0);
    worker.postMessage({ type: "end" });
    armWatchdog();
  })().catch((error: unknown) => settle({ error }));

  try {
    return await done;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    stopReading = true;
    await feeding;
  }
}
