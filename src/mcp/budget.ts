// The output budget (SPEC §2), enforced for every tool: a result's text items and the JSON of its
// structuredContent together stay under ~8,000 tokens, far below the 25,000-token cap
// some hosts enforce. A tool whose result can grow (listings, extracted files) says how to cut it;
// a result that is still too large becomes an error that says how to ask for less.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ToolError } from "./errors.js";

/** SPEC §2: no result over ~8,000 tokens. */
export const OUTPUT_BUDGET_TOKENS = 8000;
/**
 * Measured with a Claude tokenizer, listings cost one token per 2.4-2.5 bytes (ids, sizes, dates
 * and JSON punctuation tokenize densely) and prose one per 4. Counting bytes at 2.3 a token keeps
 * every kind of result under the token budget without tokenizing at run time.
 */
export const OUTPUT_BUDGET_BYTES = Math.floor(OUTPUT_BUDGET_TOKENS * 2.3);

/**
 * No result holds more entries than this: even the shortest entry costs over 18 bytes in both
 * forms together, so fetching more than this only to cut it away is wasted work.
 */
export const MAX_RESULT_ENTRIES = 1000;

/**
 * Bytes a host may hand the model as text: every content item (text as text) plus
 * structuredContent. Images are not counted: a model sees them as pixels, not as their base64
 * (read_file caps them by size itself).
 */
export function resultBytes(result: CallToolResult): number {
  let bytes = 0;
  for (const item of result.content) {
    if (item.type === "image") continue;
    bytes += Buffer.byteLength(item.type === "text" ? item.text : JSON.stringify(item));
  }
  if (result.structuredContent) bytes += Buffer.byteLength(JSON.stringify(result.structuredContent));
  return bytes;
}

/** How a long result gets shorter: the same result with only its first `keep` items. */
export interface Cuttable<Result> {
  /** Items the result holds (entries, files…). */
  items: number;
  /** The result with the first `keep` items and a line (text and structured) saying how to get the rest. */
  keep(keep: number): Result;
}

/**
 * The largest version of `result` within `budgetBytes`: as it is when it fits, else cut to the
 * most items that fit (found by bisection: measuring is cheap next to the call itself).
 */
export function fitToBudget<Result>(
  result: Result,
  measure: (candidate: Result) => number,
  cut: Cuttable<Result> | undefined,
  toolName: string,
  budgetBytes = OUTPUT_BUDGET_BYTES,
): Result {
  const fullBytes = measure(result);
  if (fullBytes <= budgetBytes) return result;
  const tooLarge = () =>
    new ToolError(
      `${toolName}'s answer would be about ${Math.ceil(fullBytes / 2.3 / 1000)},000 tokens, over the ${OUTPUT_BUDGET_TOKENS.toLocaleString("en-US")}-token budget of one tool result. Ask for less: a narrower filter, a smaller limit or a page.`,
    );
  if (!cut) throw tooLarge();
  let low = 0;
  let high = cut.items - 1;
  let best: Result | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = cut.keep(middle);
    if (measure(candidate) <= budgetBytes) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (best === undefined) throw tooLarge();
  return best;
}
