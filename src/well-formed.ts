// Text that can't be encoded: a lone UTF-16 surrogate has no UTF-8 form, so a name holding one
// would be stored (or written to disk) as something else than what was asked, if at all.

// In a u-mode regex a surrogate pair is one code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` is well-formed Unicode (String.prototype.isWellFormed, ES2024). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
