// Instants as entries carry them: ISO 8601 basic format, UTC, to the second — "20260203T091630Z".
// A Claude tokenizer counts 10 tokens for it, 15 for "2026-02-03T09:16:30Z" and 19 with
// milliseconds; it still reads as a date, and sorts as a string. Tools accept it back as input.

const BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** "2026-02-03T09:16:30.123Z" (or any instant Date.parse reads) → "20260203T091630Z". */
export function entryInstant(iso: string): string {
  const ms = Date.parse(iso);
  // An instant the API wrote in a form nobody reads is passed on as written, not lost.
  if (Number.isNaN(ms)) return iso;
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** Milliseconds since the epoch of an instant in the basic or the extended form; NaN otherwise. */
export function parseEntryInstant(text: string): number {
  const basic = BASIC.exec(text);
  return basic
    ? Date.parse(`${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z`)
    : Date.parse(text);
}

/** "2026-02-03" (`"day"`) or "2026-02-03 09:16" (`"minute"`) for text lines, from either form. */
export function readableInstant(instant: string, precision: "day" | "minute" = "day"): string {
  const ms = parseEntryInstant(instant);
  if (Number.isNaN(ms)) return instant;
  const iso = new Date(ms).toISOString();
  return precision === "day" ? iso.slice(0, 10) : iso.slice(0, 16).replace("T", " ");
}
