// Listings as the model receives them. Claude Code hands the model the JSON of
// structuredContent instead of the text, so each entry leaves out what the listing already
// says: nulls, the normal status, a path that is the folder's path + "/" + name, the listed
// machine's id, depth 0. Lossless: an absent field has exactly one value, given by entrySchema.
import type { ListedEntry, Listing } from "./listing.js";
import type { ListingEntry, ListingFolder, ListingOutput } from "./shapes.js";

/** The status of every finished upload, so the one not worth repeating. */
export const NORMAL_STATUS = "upload_completed";

export function compactEntry(entry: ListedEntry, folder: ListingFolder | null): ListingEntry {
  const depth = entry.depth ?? 0;
  // Only an entry directly in the listed folder has a path the folder alone determines.
  const derivedPath = folder && depth === 0 ? `${folder.path ?? ""}/${entry.name}` : undefined;
  const compact: ListingEntry = { id: entry.id, name: entry.name, kind: entry.kind };
  if (entry.size !== null) compact.size = entry.size;
  if (entry.content_type !== null) compact.content_type = entry.content_type;
  // The same instant, 4 bytes shorter; other fractions are kept as sent.
  if (entry.modified !== null) compact.modified = entry.modified.replace(/\.000Z$/, "Z");
  if (entry.path !== derivedPath) compact.path = entry.path;
  if (entry.status !== NORMAL_STATUS) compact.status = entry.status;
  if (entry.machine_id !== (folder?.machine_id ?? null)) compact.machine_id = entry.machine_id;
  if (depth > 0) compact.depth = depth;
  return compact;
}

/** `machineId`: the machine whose storage was listed (location "machine"). */
export function listingOutput(listing: Listing, machineId?: number): ListingOutput {
  const folder: ListingFolder | null =
    listing.folder && machineId !== undefined ? { ...listing.folder, machine_id: machineId } : listing.folder;
  return {
    folder,
    entries: listing.entries.map((entry) => compactEntry(entry, folder)),
    total: listing.total,
    next_page: listing.nextPage,
    ...(listing.storage ? { storage: listing.storage } : {}),
  };
}
