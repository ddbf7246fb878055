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
  const details: string[] = [];
  if (entry.kind === "file" && entry.size !== null) details.push(formatBytes(entry.size));
  details.push(`id=${entry.id}`);
  // Session recordings say the machine each belongs to: the only place machine ids show.
  if (entry.machine_id !== null && entry.machine_id !== listedMachineId)
    details.push(`machine=${entry.machine_id}`);
  if (entry.modified) details.push(entry.modified.slice(0, 10));
  if (entry.status !== NORMAL_STATUS) details.push(`(${entry.status})`);
  const name = `${"  ".repeat(indent)}${entry.name}${entry.kind === "directory" ? "/" : ""}`;
  return `${name}  ${details.join(" ")}`;
}

/** Renders the first `max` items, one line each (only those: a listing may hold 10,000), and says how many were left out. */
export function cappedLines<T>(items: T[], render: (item: T) => string, max = MAX_TEXT_ENTRIES): string[] {
  const lines = items.slice(0, max).map(render);
  if (items.length > max) lines.push(`… ${items.length - max} more not shown`);
  return lines;
}
