// The grep worker: a module of its own that grep.ts starts (from source under tsx, from
// dist/grep-worker.cjs in the bundle). Lines are found by running the pattern over each batch
// (V8 skips ahead fast) and confirming a candidate on its own line, as grep matches per line. It
// runs apart from the server so a pattern that backtracks without end can be stopped by a
// watchdog (worker.terminate()) without stalling anything else.
import { isAscii } from "node:buffer";
import { parentPort, workerData } from "node:worker_threads";
import type { SkipMessage, WorkerMessage } from "./grep.js";
import { countLineBreaks, lastLines } from "./line-breaks.js";

if (!parentPort) throw new Error("grep-worker.ts runs as a worker thread, started by grep.ts");
const port = parentPort;

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
interface Found {
  line: number;
  text: string;
  before: string[];
  after: string[];
}
/** Matches found and not answered yet, in order. */
let held: Found[] = [];
/** Matches whose after-context runs into lines not seen yet, and how many lines each still needs. */
let waitingForAfter: { match: Found; need: number }[] = [];
/** The next line (shortened) is after-context for every match still waiting for some. */
const continueAfter = (line: string) => {
  for (const waiting of waitingForAfter) {
    waiting.match.after.push(line);
    waiting.need -= 1;
  }
  waitingForAfter = waitingForAfter.filter((waiting) => waiting.need > 0);
};
const trimLine = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
/** The last lines of a batch, kept as the before-context of a match early in the next one. */
const rememberRecent = (lines: string[]) => {
  if (context > 0) recent = [...recent, ...lines].slice(-context);
};
/** The last `count` of those lines, or all of them when there are fewer. */
const recentLines = (count: number) => recent.slice(Math.max(0, recent.length - count));
const shorten = (line: string, limit: number, around: number) => {
  if (line.length <= limit) return line;
  const from = Math.max(0, Math.min(around - Math.floor(limit / 4), line.length - limit));
  return `${from > 0 ? "…" : ""}${line.slice(from, from + limit)}${from + limit < line.length ? "…" : ""}`;
};
/** A raw line as context shows it. */
const contextLine = (line: string) => shorten(trimLine(line), data.contextChars, 0);

const scan = (body: string) => {
  let countedTo = 0;
  let countedLine = lineNumber;
  // Lines at the start of this batch complete the after-context of earlier matches.
  if (waitingForAfter.length > 0) {
    let from = 0;
    while (waitingForAfter.length > 0 && from < body.length) {
      const end = body.indexOf("\n", from);
      continueAfter(contextLine(body.slice(from, end === -1 ? body.length : end)));
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
      // At cursor 1 the line before is the empty first one (lastIndexOf counts -1 from 0).
      const previousStart = cursor === 1 ? 0 : body.lastIndexOf("\n", cursor - 2) + 1;
      before.unshift(contextLine(body.slice(previousStart, cursor - 1)));
      cursor = previousStart;
    }
    if (before.length < context) before.unshift(...recentLines(context - before.length));
    const after: string[] = [];
    cursor = lineEnd + 1;
    while (after.length < context && cursor < body.length) {
      let nextEnd = body.indexOf("\n", cursor);
      if (nextEnd === -1) nextEnd = body.length;
      after.push(contextLine(body.slice(cursor, nextEnd)));
      cursor = nextEnd + 1;
    }
    const match = { line: countedLine, text: shorten(line, data.matchChars, at - lineStart), before, after };
    held.push(match);
    if (after.length < context) waitingForAfter.push({ match, need: context - after.length });
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
      const start = cursor === 1 ? 0 : body.lastIndexOf("\n", cursor - 2) + 1;
      tail.unshift(contextLine(body.slice(start, cursor - 1)));
      cursor = start;
    }
    rememberRecent(tail);
  }
};

// With a literal every match must contain, lines are found in the bytes (memchr-fast) and only
// candidate lines are decoded and tested; line breaks are counted by Buffer#indexOf, native and
// about twice as fast as a JS loop over 32-bit words (line-breaks.ts).
const literal = data.literal === null ? null : Buffer.from(data.literal);
const lineAt = (bytes: Buffer, start: number) => {
  const end = bytes.indexOf(10, start);
  return end === -1 ? bytes.length : end;
};
const textOf = (bytes: Buffer, start: number, end: number) => trimLine(bytes.toString("utf8", start, end));
const scanBytes = (body: Buffer, needle: Buffer) => {
  let counted = 0;
  let countedLine = lineNumber;
  let from = 0;
  while (waitingForAfter.length > 0 && from < body.length) {
    const end = lineAt(body, from);
    continueAfter(contextLine(body.toString("utf8", from, end)));
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
    countedLine += countLineBreaks(body, counted, start);
    counted = start;
    const before: string[] = [];
    let cursor = start;
    while (before.length < context && cursor > 0) {
      const previousStart = cursor - 1 === 0 ? 0 : body.lastIndexOf(10, cursor - 2) + 1;
      before.unshift(contextLine(body.toString("utf8", previousStart, cursor - 1)));
      cursor = previousStart;
    }
    if (before.length < context) before.unshift(...recentLines(context - before.length));
    const after: string[] = [];
    cursor = end + 1;
    while (after.length < context && cursor < body.length) {
      const nextEnd = lineAt(body, cursor);
      after.push(contextLine(body.toString("utf8", cursor, nextEnd)));
      cursor = nextEnd + 1;
    }
    const match = {
      line: countedLine,
      text: shorten(line, data.matchChars, line.indexOf(data.literal ?? "")),
      before,
      after,
    };
    held.push(match);
    if (after.length < context) waitingForAfter.push({ match, need: context - after.length });
    found += 1;
  }
  countedLine += countLineBreaks(body, counted, body.length);
  lineNumber = countedLine;
  if (context > 0) rememberRecent(lastLines(body, context).map(contextLine));
};

// Every answer hands the chunk's memory back (nothing here keeps a view of it): the feeder
// copies the next batch into it instead of allocating, so no ArrayBuffer churns per batch.
const reply = (message: { type: string; bytes?: ArrayBuffer }, answer: Record<string, unknown>) => {
  if (message.bytes) port.postMessage({ ...answer, bytes: message.bytes }, [message.bytes]);
  else port.postMessage(answer);
};
/**
 * Answers a message with the matches that are whole: a match waits for the lines after it that
 * are still to come, unless the search ends here. They complete in order (a later match needs
 * lines further on), so the answer is always a prefix of the held matches.
 */
const answer = (message: { type: string; bytes?: ArrayBuffer }) => {
  const done = message.type === "end";
  const ending = done || found >= data.maxMatches;
  const waiting = new Set(waitingForAfter.map((entry) => entry.match));
  let ready = 0;
  while (ready < held.length && (ending || !waiting.has(held[ready] as Found))) ready += 1;
  const matches = held.slice(0, ready);
  held = held.slice(ready);
  reply(message, { type: done ? "done" : "scanned", matches, lineNumber, found });
};
const utf8 = data.encoding === "utf-8";
let carryBytes: Buffer | null = null;
const onBytes = (message: Exclude<WorkerMessage, SkipMessage>, needle: Buffer) => {
  let body: Buffer;
  if (message.type === "chunk") {
    const bytes = Buffer.from(message.bytes, 0, message.length);
    const joined: Buffer = carryBytes ? Buffer.concat([carryBytes, bytes]) : bytes;
    const lastNewline = joined.lastIndexOf(10);
    if (lastNewline === -1 && joined.length < 4 * 1024 * 1024) {
      // A copy: the message's memory goes back to the feeder.
      carryBytes = Buffer.from(joined);
      answer(message);
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
  scanBytes(body, needle);
  answer(message);
};
/**
 * Lines the server's thread passed over (grep.ts: a batch without the literal): they complete the
 * after-context of earlier matches, count, and end as the before-context of the next.
 */
const passOver = (skipped: SkipMessage) => {
  for (const line of skipped.head) {
    if (waitingForAfter.length === 0) break;
    continueAfter(contextLine(line));
  }
  lineNumber += skipped.newlines;
  rememberRecent(skipped.tail.map(contextLine));
};
// A batch or the end comes with the lines passed over just before it, if any.
port.on("message", (message: WorkerMessage) => {
  if (message.type === "skip") {
    passOver(message);
    answer(message);
    return;
  }
  if (message.skipped) passOver(message.skipped);
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
      answer(message);
      return;
    }
    body = lastNewline === -1 ? text : text.slice(0, lastNewline + 1);
    carry = lastNewline === -1 ? "" : text.slice(lastNewline + 1);
  } else {
    body = carry + (utf8 ? "" : decoder.decode());
    carry = "";
  }
  scan(body);
  answer(message);
});
