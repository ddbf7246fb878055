// Listings as the model receives them. Claude Code hands the model the JSON of
// structuredContent instead of the text, so each entry leaves out what the listing already
// says: nulls, the normal status, a path that is its folder's path + "/" + name, the listed
// machine's id, depth 0, kind "file", a content type the name's extension implies. Below the
// listed folder (recursive listings) an entry names its folder by parent_id, and its path and
// depth follow from that folder's when it is listed above it. Lossless but for sub-second digits
// of modified (instant.ts): an absent field has exactly one value, given by entrySchema.
import { entryInstant } from "./instant.js";
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

/** What an entry listed above says of itself, for the entries inside it. */
interface Listed {
  path: string | null;
  depth: number;
}

/**
 * One entry in its compact form. `listedAbove`: the folders already in this listing, by id (an
 * entry below the listed folder leaves out what its folder there already says).
 */
export function compactEntry(
  entry: ListedEntry,
  folder: ListingFolder | null,
  typeForName: TypeForName = noTypeTable,
  listedAbove: ReadonlyMap<number, Listed> = new Map(),
): ListingEntry {
  const depth = entry.depth ?? 0;
  const parent = depth > 0 && entry.parentId !== undefined ? listedAbove.get(entry.parentId) : undefined;
  const parentListed = parent !== undefined && parent.depth === depth - 1;
  let derivedPath: string | undefined;
  if (depth === 0 && folder) derivedPath = `${folder.path ?? ""}/${entry.name}`;
  else if (parentListed && parent.path !== null) derivedPath = `${parent.path}/${entry.name}`;
  const compact: ListingEntry = { id: entry.id, name: entry.name };
  if (entry.kind !== "file") compact.kind = entry.kind;
  if (entry.size !== null) compact.size = entry.size;
  // Folders have no type; a file's is said only when its name doesn't already say it.
  if (
    entry.content_type !== null &&
    !(entry.kind === "file" && typeForName(entry.name) === entry.content_type)
  )
    compact.content_type = entry.content_type;
  if (entry.modified !== null) compact.modified = entryInstant(entry.modified);
  if (depth > 0 && entry.parentId !== undefined) compact.parent_id = entry.parentId;
  if (entry.path !== derivedPath) compact.path = entry.path;
  if (entry.status !== NORMAL_STATUS) compact.status = entry.status;
  if (entry.machine_id !== (folder?.machine_id ?? null)) compact.machine_id = entry.machine_id;
  if (depth > 0 && !parentListed) compact.depth = depth;
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
    entries: compactEntries(listing.entries, folder, typeForName),
    total: listing.total,
    next_page: listing.nextPage,
    ...(listing.nextPage !== null ? { per_page: listing.perPage } : {}),
    ...(listing.nextCursor ? { next_cursor: listing.nextCursor } : {}),
    ...(listing.storage ? { storage: listing.storage } : {}),
  };
}

/** The entries of one listing in tree order: a folder comes before what is inside it. */
function compactEntries(
  entries: ListedEntry[],
  folder: ListingFolder | null,
  typeForName?: TypeForName,
): ListingEntry[] {
  const listedAbove = new Map<number, Listed>();
  return entries.map((entry) => {
    const compact = compactEntry(entry, folder, typeForName, listedAbove);
    if (entry.kind === "directory") listedAbove.set(entry.id, { path: entry.path, depth: entry.depth ?? 0 });
    return compact;
  });
}
