// Instants as tables carry them (SPEC §2: UTC to the second, readable by Date.parse):
// "03 Feb 2026 09:16:30 UT", the date-time of RFC 5322 (HTTP's IMF-fixdate without the weekday)
// with RFC 822's "UT" for UTC (a byte less than "GMT" for the same tokens; "Z" is unknown to
// Safari's Date.parse), which every JavaScript engine's Date.parse and Python's email.utils
// read. A Claude tokenizer counts 12 tokens for it against 15 for "2026-02-03T09:16:30Z": on a
// 100-entry page that is what keeps a row under 30 tokens. Filters (modified_before…) accept it
// back as written, and the "GMT" form earlier versions wrote.

/** "2026-02-03T10:16:30.123+01:00" (any instant Date.parse reads) → "03 Feb 2026 09:16:30 UT". */
export function entryInstant(iso: string): string {
  const ms = Date.parse(iso);
  // An instant the API wrote in a form nobody reads is passed on as written, not lost.
  if (Number.isNaN(ms)) return iso;
  // toUTCString: "Tue, 03 Feb 2026 09:16:30 GMT".
  return `${new Date(ms).toUTCString().slice(5, -3)}UT`;
}

/** "2026-02-03T09:16:30Z": an instant for an input the agent is told to send (ISO 8601). */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Every expires_at in one form, ISO 8601 UTC to the second, whatever precision Vagon sent. */
export function expiryInstant(instant: string | null): string | null {
  const ms = instant === null ? Number.NaN : Date.parse(instant);
  return Number.isNaN(ms) ? instant : isoInstant(ms);
}
