// grepStream against a plain per-line reference, across batch edges: the batches the server's
// thread passes over (no line can hold the pattern's literal) and the ones the worker searches
// must number lines and fill context exactly as one search over the whole text would.
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GrepMatch, type GrepOptions, grepStream, pumpStream } from "../../../src/mcp/reading/grep.js";
import type { Codec } from "../../../src/mcp/reading/text.js";

const UTF8 = { encoding: "utf-8" } as Codec;

/** What grep shows for `text`: every line the pattern matches, with `context` lines around it. */
function expected(text: string, pattern: string, ignoreCase: boolean, context: number): GrepMatch[] {
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  const trimmed = lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  const test = new RegExp(pattern, ignoreCase ? "i" : "");
  const matches: GrepMatch[] = [];
  trimmed.forEach((line, index) => {
    if (!test.test(line)) return;
    const before = trimmed.slice(Math.max(0, index - context), index);
    const after = trimmed.slice(index + 1, index + 1 + context);
    matches.push({
      line: index + 1,
      text: line,
      ...(before.length > 0 ? { before } : {}),
      ...(after.length > 0 ? { after } : {}),
    });
  });
  return matches;
}

/** The text cut into chunks of the given sizes (the last one takes the rest). */
function chunked(text: string, sizes: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}

/** grepStream over `text` cut into chunks of `sizes` (one chunk when none are given). */
function grepText(
  text: string,
  options: Omit<GrepOptions, "pattern" | "ignoreCase"> & { pattern?: string; ignoreCase?: boolean },
  sizes: number[] = [],
) {
  return grepStream(pumpStream(Readable.from(chunked(text, sizes))), UTF8, {
    pattern: "ERROR",
    ignoreCase: false,
    ...options,
  });
}

// Log-like lines: mostly quiet, now and then an ERROR (the literal), sometimes é (two bytes).
const line = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("INFO frame rendered", "INFO é", "", "debug: ok", "ERRO R") },
  { weight: 1, arbitrary: fc.constantFrom("ERROR frame lost", "x ERROR", "ERRORERROR é") },
);
const log = fc
  .tuple(fc.array(line, { maxLength: 400 }), fc.boolean(), fc.boolean())
  .map(([lines, crlf, trailingBreak]) => lines.join(crlf ? "\r\n" : "\n") + (trailingBreak ? "\n" : ""));

describe("grepStream", () => {
  it("numbers lines and fills context as one pass over the whole text would", async () => {
    await fc.assert(
      fc.asyncProperty(
        log,
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 60 }),
        fc.integer({ min: 16, max: 1200 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(
          { pattern: "ERROR", ignoreCase: false },
          { pattern: "ERROR.*frame", ignoreCase: false },
          { pattern: "E.ROR", ignoreCase: false },
          { pattern: "error", ignoreCase: true },
        ),
        async (text, sizes, batchBytes, context, { pattern, ignoreCase }) => {
          const result = await grepText(text, { pattern, ignoreCase, context, batchBytes }, sizes);
          expect(result.complete).toBe(true);
          expect(result.scannedBytes).toBe(Buffer.byteLength(text));
          expect(result.matches).toEqual(expected(text, pattern, ignoreCase, context));
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it("finds a literal that arrives split across two chunks and two batches", async () => {
    const quiet = "INFO quiet line\n".repeat(50);
    const text = `${quiet}an ERROR here\n${quiet}`;
    const split = Buffer.byteLength(`${quiet}an ER`);
    for (const batchBytes of [64, split, split + 1]) {
      const result = await grepText(text, { context: 1, batchBytes }, [split]);
      expect(result.matches).toEqual(expected(text, "ERROR", false, 1));
    }
  });

  it("gives a match on a batch's last line its after-context from the next batch", async () => {
    const text = "ERROR frame lost\nERROR frame lost";
    const result = await grepText(text, {
      context: 1,
      batchBytes: 16,
    });
    expect(result.matches).toEqual([
      { line: 1, text: "ERROR frame lost", after: ["ERROR frame lost"] },
      { line: 2, text: "ERROR frame lost", before: ["ERROR frame lost"] },
    ]);
  });

  it("searches a last line that has no line break", async () => {
    const text = `${"INFO quiet line\n".repeat(10)}last ERROR`;
    const result = await grepText(text, {
      context: 0,
    });
    expect(result).toMatchObject({ complete: true, scannedBytes: text.length });
    expect(result.matches).toEqual([{ line: 11, text: "last ERROR" }]);
  });

  it("takes an empty first line once as context, without a literal too", async () => {
    const text = "\nERROR frame lost";
    const result = await grepText(text, {
      pattern: "error",
      ignoreCase: true,
      context: 2,
      batchBytes: 16,
    });
    expect(result.matches).toEqual([{ line: 2, text: "ERROR frame lost", before: [""] }]);
  });

  it("takes every earlier line there is as before-context when there are fewer than asked", async () => {
    const text = "ERROR frame lost\nINFO frame rendered\nERROR frame lost";
    const result = await grepText(text, {
      context: 3,
      batchBytes: 16,
    });
    expect(result.matches[1]).toEqual({
      line: 3,
      text: "ERROR frame lost",
      before: ["ERROR frame lost", "INFO frame rendered"],
    });
  });
});
