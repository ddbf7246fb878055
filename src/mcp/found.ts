// Entries found by a walk (find_files, storage_usage, delete_files), as the model receives them:
// the SPEC entry with its path always set, and nothing a path-ordered result doesn't need
// (content_type follows from the name; nulls and the normal status are left out).
import { z } from "zod";
import { countOf, formatBytes } from "../units.js";
import type { WalkedEntry } from "../vagon/walk.js";
import { NORMAL_STATUS } from "./compact.js";
import { entryInstant } from "./instant.js";

export const foundEntrySchema = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(["file", "directory"]),
  size: z.number().optional(),
  modified: z.string().optional(),
  path: z.string(),
  status: z.string().optional().describe("Omitted when 'upload_completed'."),
  machine_id: z.number().optional(),
});
export type FoundEntry = z.infer<typeof foundEntrySchema>;

export function foundEntry(entry: WalkedEntry): FoundEntry {
  const found: FoundEntry = { id: entry.id, name: entry.name, kind: entry.kind, path: entry.path };
  if (entry.size !== null && entry.kind === "file") found.size = entry.size;
  if (entry.modified !== null) found.modified = entryInstant(entry.modified);
  if (entry.status !== NORMAL_STATUS) found.status = entry.status;
  if (entry.machine_id !== null) found.machine_id = entry.machine_id;
  return found;
}

/** "/Renders/final.mov  3.2 GB id=18101 2026-03-02": the path names it, two spaces end it. */
export function foundLine(entry: FoundEntry, bytes?: number): string {
  const details: string[] = [];
  const size = bytes ?? entry.size;
  if (size !== undefined) details.push(formatBytes(size));
  details.push(`id=${entry.id}`);
  if (entry.modified) details.push(entry.modified.slice(0, 10));
  if (entry.status) details.push(`(${entry.status})`);
  return `${entry.path}${entry.kind === "directory" ? "/" : ""}  ${details.join(" ")}`;
}

export type SortKey = "name" | "size" | "modified";

/** Orders entries by `sort`; ties by id so every run returns the same set. */
export function entryOrder(sort: SortKey, order: "asc" | "desc") {
  const sign = order === "asc" ? 1 : -1;
  const key = (entry: WalkedEntry): number | string => {
    if (sort === "size") return entry.kind === "file" ? (entry.size ?? -1) : -1;
    if (sort === "modified") return entry.modified ? Date.parse(entry.modified) : Number.NEGATIVE_INFINITY;
    return entry.name.toLowerCase();
  };
  return (a: WalkedEntry, b: WalkedEntry): number => {
    const keyA = key(a);
    const keyB = key(b);
    if (keyA < keyB) return -sign;
    if (keyA > keyB) return sign;
    return a.id - b.id;
  };
}

/** "1,200" */
export const count = (value: number) => value.toLocaleString("en-US");

/** The progress line every walk sends. */
export function scannedMessage(entries: number, folders: number): string {
  return `scanned ${countOf(entries, "entry", "entries")} in ${countOf(folders, "folder")}`;
}
