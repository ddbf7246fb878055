// Listings as the model receives them. Claude Code hands the model the JSON of
// structuredContent instead of the text, so entries are a table (table.ts) whose columns carry
// only what varies: id, name, size (null for a folder: that is its kind), modified, and in a
// recursive listing the folder an entry is in. Everything else follows from the listing: the
// path from its folder's, the content type from the extension (the standard MIME table, or the
// listing's own `content_types` for an extension), the normal status, the listed machine. A row
// that doesn't follow the rule says so in `exceptions`: lossless but for sub-second digits of
// modified (instant.ts).
import { z } from "zod";
import { entryInstant } from "../kit/instant.js";
import { type Table, tableSchema, toTable } from "../kit/table.js";
import type { ListedEntry, Listing } from "./listing.js";

/** The status of every finished upload, so the one not worth repeating. */
export const NORMAL_STATUS = "upload_completed";

/** The content type a file name's extension stands for (the standard MIME table), or false. */
export type TypeForName = (name: string) => string | false;

/** The standard MIME table; loaded with the first listing (150 KB), never at start-up. */
export async function loadTypeTable(): Promise<TypeForName> {
  const { lookup } = await import("mime-types");
  return lookup;
}

/** Without the MIME table every content type is said. */
const noTypeTable: TypeForName = () => false;

/** A name's extension as the MIME table reads it: after the last ".", lower case. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot < 0 ? name : name.slice(dot + 1)).toLowerCase();
}

/**
 * Per extension, the content type most files of that extension in `entries` carry, where it is
 * not the standard one: stated once for the table instead of on every row.
 */
export function contentTypeDefaults(
  entries: ReadonlyArray<{ name: string; kind: string; content_type: string | null }>,
  typeForName: TypeForName,
): Record<string, string | null> {
  const counts = new Map<string, Map<string | null, number>>();
  for (const entry of entries) {
    if (entry.kind !== "file") continue;
    const extension = extensionOf(entry.name);
    const byType = counts.get(extension) ?? new Map<string | null, number>();
    byType.set(entry.content_type, (byType.get(entry.content_type) ?? 0) + 1);
    counts.set(extension, byType);
  }
  const defaults: Record<string, string | null> = {};
  for (const [extension, byType] of counts) {
    const [common] = [...byType].sort((a, b) => b[1] - a[1])[0] ?? [null];
    if (common !== (typeForName(`x.${extension}`) || null)) defaults[extension] = common;
  }
  return defaults;
}

/** The content type a row is read with: a file's by its extension, a folder's null. */
export function derivedContentType(
  name: string,
  kind: string,
  defaults: Record<string, string | null>,
  typeForName: TypeForName,
): string | null {
  if (kind !== "file") return null;
  const extension = extensionOf(name);
  return extension in defaults ? (defaults[extension] ?? null) : typeForName(`x.${extension}`) || null;
}

export const CONTENT_TYPES_DESCRIPTION =
  "Per file extension (lower case), the content_type of files with it where not the standard MIME type.";

/** What a row of a listing says when its field isn't a column (the outputSchema's rules). */
const entryExceptions = {
  kind: z.enum(["file", "directory"]),
  content_type: z.string().nullable(),
  path: z.string().nullable(),
  status: z.string(),
  machine_id: z.number().nullable(),
  depth: z.number(),
};

const listingColumns = {
  id: z.number(),
  name: z.string(),
  size: z.number().nullable().describe("bytes; null for a folder (kind 'directory', else 'file')."),
  modified: z.string().nullable().describe("UTC to the second ('03 Feb 2026 09:16:30 UT')."),
  parent_id: z
    .number()
    .nullable()
    .describe(
      "only when a row is below the listed folder (recursive): the entry's folder, null for the listed folder.",
    ),
  machine_id: z
    .number()
    .nullable()
    .describe(
      "only when the listing names no machine (no folder.machine_id) and its rows have one (session recordings): the machine the entry belongs to.",
    ),
};

export const listingTableSchema = tableSchema(listingColumns, {
  description:
    "Entries as rows. Not columns: path = its folder's path (parent_id's row, else folder; null as '') + '/' + name; content_type from the extension (content_types, else the standard MIME type; null for folders); status 'upload_completed'; machine_id (when not a column) = folder.machine_id, else null; depth (recursive) = parent_id's row's + 1, 0 for the listed folder. A row that differs says so in exceptions.",
  exceptions: entryExceptions,
  extra: {
    content_types: z.record(z.string(), z.string().nullable()).optional().describe(CONTENT_TYPES_DESCRIPTION),
  },
  columnSets: [
    ["id", "name", "size", "modified"],
    ["id", "name", "size", "modified", "parent_id"],
    ["id", "name", "size", "modified", "machine_id"],
    ["id", "name", "size", "modified", "parent_id", "machine_id"],
  ],
});

export const listingFolderSchema = z.object({
  id: z.number(),
  name: z.string(),
  path: z.string().nullable(),
  machine_id: z.number().optional().describe("The machine whose storage is listed."),
});
export type ListingFolder = z.infer<typeof listingFolderSchema>;

/** list_files' output, also the JSON of the folder resources. */
export const listingShape = {
  folder: listingFolderSchema.nullable(),
  entries: listingTableSchema,
  total: z.number().describe("Entries in the listed folder."),
  next_page: z.number().nullable().describe("The page to ask for next (with per_page), null at the end."),
  per_page: z.number().optional().describe("The page size next_page counts in; present with next_page."),
  next_cursor: z.string().optional().describe("Recursive listing cut short: pass as cursor to continue."),
  not_opened: z
    .array(z.number())
    .optional()
    .describe(
      "Recursive: folders at max_depth, whose contents were not listed; list one with its id as parent_id.",
    ),
  storage: z
    .object({ used: z.number(), total: z.number() })
    .nullable()
    .optional()
    .describe("Bytes, at a root."),
};
export type ListingOutput = z.infer<z.ZodObject<typeof listingShape>>;

/** What an entry listed above says of itself, for the entries inside it. */
interface Listed {
  path: string | null;
  depth: number;
}

/**
 * The entries of one listing as a table, in tree order (a folder comes before what is inside it).
 * `recursive`: the table has the parent_id column. A listing that names no machine but whose rows
 * do (session recordings) has the machine_id column: on every row, it costs a third of an exception.
 */
export function listingTable(
  entries: readonly ListedEntry[],
  folder: ListingFolder | null,
  typeForName: TypeForName = noTypeTable,
  recursive = entries.some((entry) => (entry.depth ?? 0) > 0),
): Table {
  const contentTypes = contentTypeDefaults(entries, typeForName);
  const machineColumn =
    folder?.machine_id === undefined && entries.some((entry) => entry.machine_id !== null);
  const listedAbove = new Map<number, Listed>();
  // Derivations need the rows above: compute them in order first.
  const derived = new Map<ListedEntry, { path: string | null | undefined; depth: number | undefined }>();
  for (const entry of entries) {
    const depth = entry.depth ?? 0;
    let derivedPath: string | undefined;
    let derivedDepth: number | undefined;
    if (depth === 0) {
      derivedPath = `${folder?.path ?? ""}/${entry.name}`;
      derivedDepth = 0;
    } else {
      const parent = entry.parentId !== undefined ? listedAbove.get(entry.parentId) : undefined;
      if (parent) {
        derivedPath = parent.path === null ? undefined : `${parent.path}/${entry.name}`;
        derivedDepth = parent.depth + 1;
      }
    }
    derived.set(entry, { path: derivedPath, depth: derivedDepth });
    if (entry.kind === "directory") listedAbove.set(entry.id, { path: entry.path, depth });
  }
  const table = toTable<ListedEntry>(
    {
      columns: {
        id: (entry) => entry.id,
        name: (entry) => entry.name,
        size: (entry) => entry.size,
        modified: (entry) => (entry.modified === null ? null : entryInstant(entry.modified)),
        ...(recursive
          ? { parent_id: (entry: ListedEntry) => ((entry.depth ?? 0) > 0 ? (entry.parentId ?? null) : null) }
          : {}),
        ...(machineColumn ? { machine_id: (entry: ListedEntry) => entry.machine_id } : {}),
      },
      derived: {
        kind: { actual: (entry) => entry.kind, derive: sizeKind },
        content_type: {
          actual: (entry) => entry.content_type,
          derive: (entry) => derivedContentType(entry.name, entry.kind, contentTypes, typeForName),
        },
        path: { actual: (entry) => entry.path, derive: (entry) => derived.get(entry)?.path },
        status: { actual: (entry) => entry.status, derive: () => NORMAL_STATUS },
        ...(machineColumn
          ? {}
          : {
              machine_id: { actual: (entry) => entry.machine_id, derive: () => folder?.machine_id ?? null },
            }),
        depth: { actual: (entry) => entry.depth ?? 0, derive: (entry) => derived.get(entry)?.depth },
      },
      key: (entry) => entry.id,
    },
    entries,
  );
  return Object.keys(contentTypes).length > 0 ? { ...table, content_types: contentTypes } : table;
}

/** The kind a row is read with: a folder is a row whose size is null. */
function sizeKind(entry: { size: number | null }): "file" | "directory" {
  return entry.size === null ? "directory" : "file";
}

/** `machineId`: the machine whose storage was listed (location "machine"). */
export function listingOutput(
  listing: Listing,
  machineId?: number,
  typeForName?: TypeForName,
): ListingOutput {
  const folder: ListingFolder | null =
    listing.folder && machineId !== undefined ? { ...listing.folder, machine_id: machineId } : listing.folder;
  return {
    folder,
    entries: listingTable(listing.entries, folder, typeForName),
    total: listing.total,
    next_page: listing.nextPage,
    ...(listing.nextPage !== null ? { per_page: listing.perPage } : {}),
    ...(listing.nextCursor ? { next_cursor: listing.nextCursor } : {}),
    ...(listing.storage ? { storage: listing.storage } : {}),
  };
}
