// When Vagon answers "not found" for an id that exists as the other kind (a folder id in
// download_files.file_ids, a file id as parent_id), the error should say so and name the fix.
// Both checks are reads: listing a folder, or asking for a file's presigned link.
import { countOf, formatBytes } from "../units.js";
import { VagonError } from "../vagon/errors.js";
import type { VagonClient } from "../vagon/types.js";
import { UserInputError } from "./errors.js";

/** Ids probed at most per failed call: a mistake is usually one id, and each probe is a request. */
const MAX_PROBES = 10;

function isNotFoundAnswer(error: unknown, codes: number[]): boolean {
  return error instanceof VagonError && error.code !== null && codes.includes(error.code);
}

/** A folder found by listing it: shared storage first, then the session recordings. */
export interface FoundFolder {
  id: number;
  name: string | null;
  /** Entries directly inside it. */
  total: number;
}

/** A finished file found by asking for its single-file link. */
export interface FoundFile {
  id: number;
  name: string | null;
  sizeBytes: number | null;
}

/** The folder `id` names, or null: listed with one-entry pages (reads only). */
export async function findFolder(
  client: VagonClient,
  id: number,
  signal?: AbortSignal,
): Promise<FoundFolder | null> {
  if (id <= 0) return null;
  for (const location of ["shared", "recordings"] as const) {
    try {
      const page = await client.listFiles({ location, parentId: id, page: 1, perPage: 1 }, { signal });
      return { id, name: page.folder?.name ?? null, total: page.total };
    } catch {
      // Not a folder there.
    }
  }
  return null;
}

/**
 * The finished file `id` names, or null (a folder, an upload not yet completed, or nothing).
 * A zip job that the read started by surprise is aborted at once.
 */
export async function findFile(
  client: VagonClient,
  id: number,
  signal?: AbortSignal,
): Promise<FoundFile | null> {
  try {
    const start = await client.startDownload({ fileIds: [id] }, { signal });
    if (start.kind !== "link") {
      await client.abortDownload(start.downloadId).catch(() => {});
      return null;
    }
    return { id, name: start.name, sizeBytes: start.sizeBytes };
  } catch {
    return null;
  }
}

/** The ids among `fileIds` that are folders, probed only after a not-found answer. */
async function foldersAmong(
  client: VagonClient,
  fileIds: number[],
  signal?: AbortSignal,
): Promise<FoundFolder[]> {
  const probed = await Promise.all(fileIds.slice(0, MAX_PROBES).map((id) => findFolder(client, id, signal)));
  return probed.filter((folder): folder is FoundFolder => folder !== null);
}

function named(item: { id: number; name: string | null }): string {
  return `${item.id}${item.name ? ` (${item.name})` : ""}`;
}

/**
 * "Item 18088 (Project Folder) is a folder, not a file, so read_file can't read it. …": the one
 * sentence for a folder id where a file id belongs, with the calls that take a folder.
 */
export function folderNotFileText(folders: FoundFolder[], cannot: string): string {
  const first = folders[0]!;
  const list = folders.map(named).join(", ");
  const subject =
    folders.length === 1 ? `Item ${list} is a folder, not a file` : `Items ${list} are folders, not files`;
  return `${subject}, so ${cannot}. Download a folder whole with download_files directory_id=${first.id} (one folder per call), or list it with list_files parent_id=${first.id} to pick its files.`;
}

/**
 * Rethrows a not-found answer for file ids as "that is a folder" when one of the ids is one.
 * `cannot` finishes "…, so": what the call can't do with a folder ("file_ids can't download it").
 */
export async function explainFolderAmongFiles(
  error: unknown,
  client: VagonClient,
  fileIds: number[],
  signal?: AbortSignal,
  cannot = `file_ids can't download ${fileIds.length === 1 ? "it" : "them"}`,
): Promise<never> {
  if (!isNotFoundAnswer(error, [404, 4717, 4718])) throw error;
  const folders = await foldersAmong(client, fileIds, signal);
  if (folders.length === 0) throw error;
  throw new UserInputError(folderNotFileText(folders, cannot));
}

/**
 * Rethrows a not-found answer for a folder id as "that is a file" when the id names one.
 * `field`: the input that wanted a folder (parent_id, directory_id).
 */
export async function explainFileAsFolder(
  error: unknown,
  client: VagonClient,
  folderId: number,
  signal?: AbortSignal,
  field: "parent_id" | "directory_id" = "parent_id",
): Promise<never> {
  if (folderId <= 0 || !isNotFoundAnswer(error, [404, 4717, 4719])) throw error;
  const file = await findFile(client, folderId, signal);
  if (!file) throw error;
  const cannot =
    field === "parent_id"
      ? "it has nothing to list. Use its folder's id as parent_id (0 = the root), or fetch the file itself"
      : "directory_id can't zip it. Fetch the file itself";
  throw new UserInputError(
    `Item ${named(file)} is a file, not a folder, so ${cannot} with download_files file_ids=[${folderId}].`,
  );
}

/**
 * Words for an item the user is about to lose, found with reads only: a folder by listing it
 * (name and how many entries are directly inside), a file by its single-file link (name, size).
 * Null when neither read answers.
 */
export async function describeItem(
  client: VagonClient,
  id: number,
  signal?: AbortSignal,
): Promise<string | null> {
  const folder = await findFolder(client, id, signal);
  if (folder) {
    const name = folder.name ? `"${folder.name}"` : `${id}`;
    return `the folder ${name} (id ${id}) and everything in it (${countOf(folder.total, "entry", "entries")} at its top level)`;
  }
  const file = await findFile(client, id, signal);
  if (!file) return null;
  const size = file.sizeBytes === null ? "" : `, ${formatBytes(file.sizeBytes)}`;
  return `the file ${file.name ? `"${file.name}"` : `${id}`} (id ${id}${size})`;
}
