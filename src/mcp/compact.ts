// Listings as the model receives them. Claude Code hands the model the JSON of
// structuredContent instead of the text, so each entry leaves out what the listing already
// says: nulls, the normal status, a path that is the folder's path + "/" + name, the listed
// machine's id, depth 0, kind "file", a content type the name's extension implies. Lossless but
// for sub-second digits of modified: an absent field has exactly one value, given by entrySchema.
import type { ListedEntry, Listing } from "./listing.js";
import type { ListingEntry, ListingFolder, ListingOutput } from "./shapes.js";

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

/** An instant to the second: "2026-02-05T10:15:00.123Z" → "2026-02-05T10:15:00Z" (7 tokens fewer). */
export function toSecond(iso: string): string {
  return iso.replace(/(T\d{2}:\d{2}:\d{2})\.\d+(Z|[+-]\d{2}:?\d{2})$/, "$1$2");
}

export function compactEntry(
  entry: ListedEntry,
  folder: ListingFolder | null,
  typeForName: TypeForName = noTypeTable,
): ListingEntry {
  const depth = entry.depth ?? 0;
  // Only an entry directly in the listed folder has a path the folder alone determines.
  const derivedPath = folder && depth === 0 ? `${folder.path ?? ""}/${entry.name}` : undefined;
  const compact: ListingEntry = { id: entry.id, name: entry.name };
  if (entry.kind !== "file") compact.kind = entry.kind;
  if (entry.size !== null) compact.size = entry.size;
  // Folders have no type; a file's is said only when its name doesn't already say it.
  if (
    entry.content_type !== null &&
    !(entry.kind === "file" && typeForName(entry.name) === entry.content_type)
  )
    compact.content_type = entry.content_type;
  if (entry.modified !== null) compact.modified = toSecond(entry.modified);
  if (entry.path !== derivedPath) compact.path = entry.path;
  if (entry.status !== NORMAL_STATUS) compact.status = entry.status;
  if (entry.machine_id !== (folder?.machine_id ?? null)) compact.machine_id = entry.machine_id;
  if (depth > 0) compact.depth = depth;
  return compact;
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
    entries: listing.entries.map((entry) => compactEntry(entry, folder, typeForName)),
    total: listing.total,
    next_page: listing.nextPage,
    ...(listing.nextPage !== null ? { per_page: listing.perPage } : {}),
    ...(listing.nextCursor ? { next_cursor: listing.nextCursor } : {}),
    ...(listing.storage ? { storage: listing.storage } : {}),
  };
}
