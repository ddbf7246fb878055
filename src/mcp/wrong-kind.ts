// When Vagon answers "not found" for an id that exists as the other kind (a folder id in
// download_files.file_ids, a file id as parent_id), the error should say so and name the fix.
// Both checks are reads: listing a folder, or asking for a file's presigned link.
import { formatBytes } from "../units.js";
import { VagonError } from "../vagon/errors.js";
import type { VagonClient } from "../vagon/types.js";
import { UserInputError } from "./errors.js";

/** Ids probed at most per failed call: a mistake is usually one id, and each probe is a request. */
const MAX_PROBES = 10;

function isNotFoundAnswer(error: unknown, codes: number[]): boolean {
  return error instanceof VagonError && error.code !== null && codes.includes(error.code);
}

/** The ids among `fileIds` that are folders (shared storage), probed only after a not-found answer. */
async function foldersAmong(client: VagonClient, fileIds: number[], signal: AbortSignal): Promise<number[]> {
  const probed = await Promise.all(
    fileIds.slice(0, MAX_PROBES).map(async (id) => {
      try {
        await client.listFiles({ location: "shared", parentId: id, page: 1, perPage: 1 }, { signal });
        return id;
      } catch {
        return null;
      }
    }),
  );
  return probed.filter((id): id is number => id !== null);
}

/** Rethrows a download's not-found answer as "that is a folder" when one of the ids is one. */
export async function explainFolderAmongFiles(
  error: unknown,
  client: VagonClient,
  fileIds: number[],
  signal: AbortSignal,
): Promise<never> {
  if (!isNotFoundAnswer(error, [404, 4717, 4718])) throw error;
  const folders = await foldersAmong(client, fileIds, signal);
  if (folders.length === 0) throw error;
  const list = folders.join(", ");
  throw new UserInputError(
    `${folders.length === 1 ? `Item ${list} is a folder` : `Items ${list} are folders`}, not ${folders.length === 1 ? "a file" : "files"}, so file_ids can't download ${folders.length === 1 ? "it" : "them"}. Download a folder whole with directory_id=${folders[0]} (one folder per call), or list it with list_files parent_id=${folders[0]} to pick its files.`,
  );
}

/** Rethrows a listing's not-found answer as "that is a file" when parent_id names one. */
export async function explainFileAsFolder(
  error: unknown,
  client: VagonClient,
  parentId: number,
  signal: AbortSignal,
): Promise<never> {
  if (parentId <= 0 || !isNotFoundAnswer(error, [404])) throw error;
  let name: string | null;
  try {
    const start = await client.startDownload({ fileIds: [parentId] }, { signal });
    if (start.kind !== "link") {
      // Only a folder is zipped; leave nothing running at Vagon.
      await client.abortDownload(start.downloadId).catch(() => {});
      throw error;
    }
    name = start.name;
  } catch {
    throw error;
  }
  throw new UserInputError(
    `Item ${parentId}${name ? ` (${name})` : ""} is a file, not a folder, so it has nothing to list. Use its folder's id as parent_id (0 = the root), or fetch the file itself with download_files file_ids=[${parentId}].`,
  );
}

/**
 * Words for an item the user is about to lose, found with reads only: a folder by listing it
 * (name and how many entries are directly inside), a file by its single-file link (name, size).
 * Null when neither read answers; a zip job that a read started by surprise is aborted at once.
 */
export async function describeItem(
  client: VagonClient,
  id: number,
  signal: AbortSignal,
): Promise<string | null> {
  try {
    const page = await client.listFiles(
      { location: "shared", parentId: id, page: 1, perPage: 1 },
      { signal },
    );
    const name = page.folder?.name ? `"${page.folder.name}"` : `${id}`;
    const inside = page.total === 1 ? "1 entry" : `${page.total.toLocaleString("en-US")} entries`;
    return `the folder ${name} (id ${id}) and everything in it (${inside} at its top level)`;
  } catch {
    // Not a shared folder: a file, or something the shared listing can't see.
  }
  try {
    const start = await client.startDownload({ fileIds: [id] }, { signal });
    if (start.kind !== "link") {
      await client.abortDownload(start.downloadId).catch(() => {});
      return null;
    }
    const size = start.sizeBytes === null ? "" : `, ${formatBytes(start.sizeBytes)}`;
    return `the file ${start.name ? `"${start.name}"` : `${id}`} (id ${id}${size})`;
  } catch {
    return null;
  }
}
