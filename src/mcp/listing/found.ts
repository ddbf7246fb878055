// Entries found by a walk (find_files, storage_usage, delete_files), as the model receives them:
// a table (table.ts) whose rows are id, path, size, modified. The path names the entry (its
// last part is the name) and ends in "/" for a folder, as in the text; the rest follows from
// the table: content type by extension, the normal status, the walked machine.
import { z } from "zod";
import { countOf, groupDigits } from "../../units.js";
import type { WalkedEntry } from "../../vagon/walk.js";
import { entryInstant } from "../kit/instant.js";
import { type Table, tableSchema, toTable } from "../kit/table.js";
import {
  CONTENT_TYPES_DESCRIPTION,
  contentTypeDefaults,
  derivedContentType,
  NORMAL_STATUS,
  type TypeForName,
} from "./compact.js";
import { lineOf } from "./format.js";

/** A found entry and, where the table says it, its size (delete_files: a folder's contents, null when unknown). */
export interface FoundItem {
  entry: WalkedEntry;
  bytes?: number | null;
}

/** The outputSchema of a table of found entries; `size`: what the size column holds. */
export function foundTableSchema(description: string, size = "bytes; null for a folder without one.") {
  return tableSchema(
    {
      id: z.number(),
      path: z.string().describe("ends in '/' for a folder (kind 'directory', else 'file')."),
      size: z.number().nullable().describe(size),
      modified: z.string().nullable().describe("UTC to the second ('03 Feb 2026 09:16:30 UT')."),
    },
    {
      description: `${description} Not columns: name = the path's last part; content_type from the extension (content_types, else the standard MIME type; null for folders); status 'upload_completed'; machine_id = the machine searched (location 'machine'), else null. A row that differs says so in exceptions.`,
      exceptions: {
        name: z.string(),
        kind: z.enum(["file", "directory"]),
        content_type: z.string().nullable(),
        status: z.string(),
        machine_id: z.number().nullable(),
      },
      extra: {
        content_types: z
          .record(z.string(), z.string().nullable())
          .optional()
          .describe(CONTENT_TYPES_DESCRIPTION),
      },
    },
  );
}

/** "/Renders/shots/" for a folder: the path column. */
function pathCell(entry: WalkedEntry): string {
  return entry.kind === "directory" ? `${entry.path}/` : entry.path;
}

/** Found entries as a table. `machineId`: the machine whose storage was walked, else null. */
export function foundTable(
  items: readonly FoundItem[],
  typeForName: TypeForName,
  machineId: number | null,
): Table {
  const entries = items.map((item) => item.entry);
  const contentTypes = contentTypeDefaults(entries, typeForName);
  const table = toTable<FoundItem>(
    {
      columns: {
        id: ({ entry }) => entry.id,
        path: ({ entry }) => pathCell(entry),
        size: ({ entry, bytes }) => (bytes === undefined ? entry.size : bytes),
        modified: ({ entry }) => (entry.modified === null ? null : entryInstant(entry.modified)),
      },
      derived: {
        name: {
          actual: ({ entry }) => entry.name,
          derive: ({ entry }) => pathCell(entry).replace(/\/$/, "").split("/").at(-1),
        },
        kind: {
          actual: ({ entry }) => entry.kind,
          derive: ({ entry }) => (pathCell(entry).endsWith("/") ? "directory" : "file"),
        },
        content_type: {
          actual: ({ entry }) => entry.content_type,
          derive: ({ entry }) => derivedContentType(entry.name, entry.kind, contentTypes, typeForName),
        },
        status: { actual: ({ entry }) => entry.status, derive: () => NORMAL_STATUS },
        machine_id: { actual: ({ entry }) => entry.machine_id, derive: () => machineId },
      },
      key: ({ entry }) => entry.id,
    },
    items,
  );
  return Object.keys(contentTypes).length > 0 ? { ...table, content_types: contentTypes } : table;
}

/** "18101 3.2G 2026-03-02 /Renders/final.mov": a found entry in the listing's line shape, by path. */
export function foundLine(entry: WalkedEntry, bytes?: number | null, notes?: string[]): string {
  const size = bytes === undefined ? (entry.kind === "file" ? entry.size : null) : bytes;
  return lineOf(entry, size, pathCell(entry), notes ? { notes } : {});
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
export const count = groupDigits;

/** The progress line every walk sends. */
export function scannedMessage(entries: number, folders: number): string {
  return `scanned ${countOf(entries, "entry", "entries")} in ${countOf(folders, "folder")}`;
}
