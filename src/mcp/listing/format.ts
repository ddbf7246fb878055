// Compact text renderings for the model: one short line per entry, nulls dropped, sizes
// human-readable. Never a JSON copy of structuredContent (hosts showing both would pay twice).
import { formatBytes } from "../../units.js";
import type { Entry } from "../../vagon/types.js";
import { NORMAL_STATUS } from "./compact.js";

/** At most this many entries are rendered as text in one result; structuredContent has all. */
export const MAX_TEXT_ENTRIES = 200;

/** What a listing's lines hold, in order (its header says it once). */
export const ENTRY_LINE_COLUMNS = "id, size, modified, name";

/**
 * A listing's line, as `ls -l` orders it: "18093 1.2M 2026-02-05 report.pdf" or
 * "18088 2026-02-05 Project Folder/" — id, size (files), the UTC day, then the name, which ends
 * the line (names may hold spaces, so it needs no separator after it); "machine=7" and
 * "(uploading)" before the name, only when they say something.
 */
export function entryLine(entry: Entry, indent = 0, listedMachineId?: number): string {
  const parts = [String(entry.id)];
  if (entry.kind === "file" && entry.size !== null) parts.push(formatBytes(entry.size, { compact: true }));
  if (entry.modified) parts.push(entryDate(entry.modified));
  // Session recordings say the machine each belongs to: the only place machine ids show.
  if (entry.machine_id !== null && entry.machine_id !== listedMachineId)
    parts.push(`machine=${entry.machine_id}`);
  if (entry.status !== NORMAL_STATUS) parts.push(`(${entry.status})`);
  return `${"  ".repeat(indent)}${parts.join(" ")} ${entry.name}${entry.kind === "directory" ? "/" : ""}`;
}

/**
 * The tail of a found entry's line, after its path (find, usage, delete):
 * "1.2 MB id=18093 machine=7 2026-02-05 (uploading)", each part only when it says something.
 */
export function entryDetails(
  entry: { id: number; modified: string | null; status: string },
  sizeBytes: number | null,
  machineId: number | null = null,
): string {
  const details: string[] = [];
  if (sizeBytes !== null) details.push(formatBytes(sizeBytes));
  details.push(`id=${entry.id}`);
  if (machineId !== null) details.push(`machine=${machineId}`);
  if (entry.modified) details.push(entryDate(entry.modified));
  if (entry.status !== NORMAL_STATUS) details.push(`(${entry.status})`);
  return details.join(" ");
}

/** "2026-03-02": the UTC day of an instant, as text lines say it. */
export function entryDate(instant: string): string {
  const ms = Date.parse(instant);
  return Number.isNaN(ms) ? instant.slice(0, 10) : new Date(ms).toISOString().slice(0, 10);
}

/** Renders the first `max` items, one line each (only those: a listing may hold 10,000), and says how many were left out. */
export function cappedLines<T>(items: T[], render: (item: T) => string, max = MAX_TEXT_ENTRIES): string[] {
  const lines = items.slice(0, max).map(render);
  if (items.length > max) lines.push(`… ${items.length - max} more not shown`);
  return lines;
}
