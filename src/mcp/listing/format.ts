// Compact text renderings for the model: one short line per entry, nulls dropped, sizes
// human-readable. Never a JSON copy of structuredContent (hosts showing both would pay twice).
import { formatBytes } from "../../units.js";
import type { Entry } from "../../vagon/types.js";
import { NORMAL_STATUS } from "./compact.js";

/** At most this many entries are rendered as text in one result; structuredContent has all. */
export const MAX_TEXT_ENTRIES = 200;

/** What a listing's lines hold, in order (its header says it once). */
export const ENTRY_LINE_COLUMNS = "id, size, modified, name";
/** What find, usage and delete lines hold, in order (their headers say it once). */
export const FOUND_LINE_COLUMNS = "id, size, modified, path";

/**
 * The one line shape, as `ls -l` orders it: "18093 1.2M 2026-02-05 report.pdf" — id, size (when
 * known), the UTC day, "machine=7", "(uploading)" and any `notes` (each only when it says
 * something), then the name or path, which ends the line: names may hold spaces and look like
 * notes, so nothing may follow them.
 */
export function lineOf(
  entry: { id: number; modified: string | null; status: string },
  sizeBytes: number | null,
  label: string,
  options: { machineId?: number | null; notes?: string[] } = {},
): string {
  const parts = [String(entry.id)];
  if (sizeBytes !== null) parts.push(formatBytes(sizeBytes, { compact: true }));
  if (entry.modified) parts.push(entryDate(entry.modified));
  if (options.machineId != null) parts.push(`machine=${options.machineId}`);
  if (entry.status !== NORMAL_STATUS) parts.push(`(${entry.status})`);
  for (const note of options.notes ?? []) parts.push(`(${note})`);
  return `${parts.join(" ")} ${label}`;
}

/** A listing's line: "18088 2026-02-05 Project Folder/", indented by depth in recursive listings. */
export function entryLine(entry: Entry, indent = 0, listedMachineId?: number, notes?: string[]): string {
  // Session recordings say the machine each belongs to: the only place machine ids show.
  const machineId = entry.machine_id !== listedMachineId ? entry.machine_id : null;
  const size = entry.kind === "file" ? entry.size : null;
  const label = `${entry.name}${entry.kind === "directory" ? "/" : ""}`;
  return `${"  ".repeat(indent)}${lineOf(entry, size, label, { machineId, ...(notes ? { notes } : {}) })}`;
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
