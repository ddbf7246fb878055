// A Claude tokenizer's count, as @anthropic-ai/tokenizer's countTokens gives it. That function
// builds a fresh tokenizer from its BPE table on every call (~140 ms); this one builds it once per
// test file and then counts in a few milliseconds.
import { getTokenizer } from "@anthropic-ai/tokenizer";

let tokenizer: ReturnType<typeof getTokenizer> | null = null;

/** The same count as countTokens(text): NFKC-normalized, special tokens allowed. */
export function countTokens(text: string): number {
  tokenizer ??= getTokenizer();
  return tokenizer.encode(text.normalize("NFKC"), "all").length;
}
