// Tests assert on entries by field: tables (src/mcp/kit/table.ts) read back as records with the
// views' own reader (src/views/table.ts). The losslessness of the tables themselves is
// test/mcp/compact-listings.test.ts's, which rebuilds every field by the outputSchema's rules.
import { tableRows } from "../../src/views/table.js";

const isTable = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  Array.isArray((value as { columns?: unknown }).columns) &&
  Array.isArray((value as { rows?: unknown }).rows);

/** `structured` with every table in it (one level down) as an array of records. */
export function withRecords<T>(structured: unknown): T {
  if (typeof structured !== "object" || structured === null) return structured as T;
  return Object.fromEntries(
    Object.entries(structured).map(([key, value]) => [key, isTable(value) ? tableRows(value) : value]),
  ) as T;
}
