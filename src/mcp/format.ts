// Compact text renderings for the model: one short line per entry, nulls dropped, sizes
// human-readable. Never a JSON copy of structuredContent (hosts showing both would pay twice).
import { formatBytes } from "../units.js";
import type { Entry } from "../vagon/types.js";
import { NORMAL_STATUS } from "./compact.js";

/** At most this many entries are rendered as text in one result; structuredContent has all. */
export const MAX_TEXT_ENTRIES = 200;

/**
 * "report.pdf  1.2 MB id=18093 2026-02-05" or "Project Folder/  id=18088": two spaces end the
 * name (names may hold single spaces), one separates the rest.
 */
export function entryLine(entry: Entry, indent = 0, listedMachineId?: number): string {
  const name = `${"  ".repeat(indent)}${entry.name}${entry.kind === "directory" ? "/" : ""}`;
  // Session recordings say the machine each belongs to: the only place machine ids show.
  const machineId = entry.machine_id !== listedMachineId ? entry.machine_id : null;
  return `${name}  ${entryDetails(entry, entry.kind === "file" ? entry.size : null, machineId)}`;
}

/**
 * The one line renderer's tail, after an entry's name (a listing) or path (a walk):
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
