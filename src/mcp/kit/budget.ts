// The output budget (SPEC §2), enforced for every tool: a result's text items and the JSON of its
// structuredContent together stay under ~8,000 tokens, far below the 25,000-token cap
// some hosts enforce. A tool whose result can grow (listings, extracted files) says how to cut it;
// a result that is still too large becomes an error that says how to ask for less.
import type { CallToolResult } from "@modelcontextprotocol/server";
import { groupDigits } from "../../units.js";
import { ToolError } from "./errors.js";

/** SPEC §2: no result over ~8,000 tokens. */
export const OUTPUT_BUDGET_TOKENS = 8000;
/** What fitToBudget aims at: estimates run within ~12 % of a Claude tokenizer, so leave room. */
const ESTIMATE_LIMIT = 7200;
/** SPEC §2: the cap Claude Code applies to one tool result; no result passes it at any parameter. */
export const HOST_CAP_TOKENS = 25_000;
/**
 * The most any tool may raise its budget to (estimated): estimates may run 15 % under a Claude
 * tokenizer on dense text (test/mcp/output-budget.test.ts), and 21,000 / 0.85 stays under the cap.
 */
export const HOST_CAP_ESTIMATE = 21_000;
/**
 * The default budget of a read of free text (read_file): timestamped logs run up to 15 % under the
 * estimate, so aim there to keep both forms together under ~8,000 tokens of a Claude tokenizer.
 */
export const TEXT_ESTIMATE_LIMIT = Math.floor(OUTPUT_BUDGET_TOKENS * 0.85);

/**
 * No result holds more entries than this: even the shortest entry costs over 8 tokens in both
 * forms together, so fetching more than this only to cut it away is wasted work.
 */
export const MAX_RESULT_ENTRIES = 1000;

/**
 * Tokens a Claude tokenizer would count, without tokenizing: words cost ~1 token per 3.5
 * letters, numbers 1 per 2 digits, punctuation 1 per 1.5 marks (JSON and listings are dense in
 * both), other scripts 1 per 2 bytes. Checked against @anthropic-ai/tokenizer on listings, JSON,
 * prose and code in test/mcp/output-budget.test.ts.
 */
export function estimateTokens(text: string): number {
  let letters = 0;
  let digits = 0;
  let marks = 0;
  let otherBytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) letters += 1;
    else if (code >= 48 && code <= 57) digits += 1;
    else if (code > 127) otherBytes += code > 2047 ? 3 : 2;
    else if (code !== 32 && code !== 10 && code !== 9 && code !== 13) marks += 1;
  }
  return Math.ceil(letters / 3.5 + digits / 2 + marks / 1.5 + otherBytes / 2);
}

/**
 * Estimated tokens a host may hand the model as text: every content item (text as text) plus
 * the JSON of structuredContent. Images are not counted: a model sees them as pixels, not as their
 * base64 (read_file caps them by size itself).
 */
export function resultTokens(result: CallToolResult): number {
  let tokens = 0;
  for (const item of result.content) {
    if (item.type === "image") continue;
    tokens += estimateTokens(item.type === "text" ? item.text : JSON.stringify(item));
  }
  if (result.structuredContent) tokens += estimateTokens(JSON.stringify(result.structuredContent));
  return tokens;
}

/** How a long result gets shorter: the same result with only its first `keep` items. */
export interface Cuttable<Result> {
  /** Items the result holds (entries, files…). */
  items: number;
  /** The result with the first `keep` items and a line (text and structured) saying how to get the rest. */
  keep(keep: number): Result;
}

/**
 * The largest version of `result` within `limitTokens` (estimated): as it is when it fits, else
 * cut to the most items that fit (found by bisection: measuring is cheap next to the call itself).
 * `limitTokens` is larger only where the caller asked for more with a documented parameter.
 */
export function fitToBudget<Result>(
  result: Result,
  measure: (candidate: Result) => number,
  cut: Cuttable<Result> | undefined,
  toolName: string,
  requestedLimit = ESTIMATE_LIMIT,
): Result {
  const limitTokens = Math.min(requestedLimit, HOST_CAP_ESTIMATE);
  const fullTokens = measure(result);
  if (fullTokens <= limitTokens) return result;
  const tooLarge = () =>
    new ToolError(
      `${toolName}'s answer would be about ${groupDigits(Math.ceil(fullTokens / 1000))},000 tokens, over the ${groupDigits(OUTPUT_BUDGET_TOKENS)}-token budget of one tool result. Ask for less: a narrower filter, a smaller limit or a page.`,
    );
  if (!cut) throw tooLarge();
  let low = 0;
  let high = cut.items - 1;
  let best: Result | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = cut.keep(middle);
    if (measure(candidate) <= limitTokens) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (best === undefined) throw tooLarge();
  return best;
}
