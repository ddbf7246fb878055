// When Vagon answers "not found" for an id that exists as the other kind (a folder id in
// download_files.file_ids, a file id as parent_id), the error should say so and name the fix.
// Both checks are reads: listing a folder, or asking for a file's presigned link.
import { countOf, formatBytes } from "../units.js";
import { VagonError } from "../vagon/errors.js";
import { fileLink } from "../vagon/ranged-reader.js";
import type { VagonClient } from "../vagon/types.js";
import { walkTree } from "../vagon/walk.js";
import { UserInputError } from "./errors.js";

/** Ids probed at most per failed call: a mistake is usually one id, and each probe is a request. */
const MAX_PROBES = 10;

function isNotFoundAnswer(error: unknown, codes: number[]): boolean {
  return error instanceof VagonError && error.code !== null && codes.includes(error.code);
}

/** A folder found by listing it: shared storage first, then the session recordings. */
export interface FoundFolder {
  id: number;
  location: "shared" | "recordings";
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
      return { id, location, name: page.folder?.name ?? null, total: page.total };
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
    const link = await fileLink(client, id, signal);
    return link && { id, name: link.name, sizeBytes: link.sizeBytes };
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
  if (folderId <= 0 || !isNotFoundAnswer(error, [400, 404, 4717, 4719])) throw error;
  const file = await findFile(client, folderId, signal);
  if (!file) throw error;
  const cannot =
    field === "parent_id"
      ? "it can't be parent_id. Use its folder's id as parent_id (0 = the root), or fetch the file itself"
      : "directory_id can't zip it. Fetch the file itself";
  throw new UserInputError(
    `Item ${named(file)} is a file, not a folder, so ${cannot} with download_files file_ids=[${folderId}].`,
  );
}

/** Entries a delete's description walks at most to add up a folder's size. */
const SIZE_SCAN_BUDGET = 10_000;

/** What a delete names: the item's kind, name and size (a folder's added up by a bounded walk). */
export interface ItemFacts {
  id: number;
  kind: "file" | "directory";
  name: string | null;
  sizeBytes: number | null;
  /** Folders: files counted inside, at any depth. */
  files?: number;
  /** Folders: false when the walk stopped at its budget (the size is then a lower bound). */
  complete?: boolean;
}

/** The item `id` names, found with reads only; null when neither a listing nor a link answers. */
export async function itemFacts(
  client: VagonClient,
  id: number,
  signal?: AbortSignal,
): Promise<ItemFacts | null> {
  const folder = await findFolder(client, id, signal);
  if (folder) {
    let sizeBytes = 0;
    let files = 0;
    const walked = await walkTree(client, {
      location: folder.location,
      parentId: id,
      maxDepth: 20,
      scanBudget: SIZE_SCAN_BUDGET,
      signal,
      visit: (entries) => {
        for (const entry of entries) {
          if (entry.kind !== "file") continue;
          files += 1;
          sizeBytes += entry.size ?? 0;
        }
      },
    }).catch(() => null);
    return walked
      ? { id, kind: "directory", name: folder.name, sizeBytes, files, complete: walked.complete }
      : { id, kind: "directory", name: folder.name, sizeBytes: null };
  }
  const file = await findFile(client, id, signal);
  return file ? { id, kind: "file", name: file.name, sizeBytes: file.sizeBytes } : null;
}

/** 'the folder "renders" (id 23000, 7.4 GB in 312 files)' or 'the file "a.txt" (id 5, 141 bytes)'. */
export function itemWords(item: ItemFacts): string {
  const name = item.name ? `"${item.name}"` : `${item.id}`;
  if (item.kind === "file") {
    return `the file ${name} (id ${item.id}${item.sizeBytes === null ? "" : `, ${formatBytes(item.sizeBytes)}`})`;
  }
  if (item.sizeBytes === null || item.files === undefined)
    return `the folder ${name} (id ${item.id}) and everything in it`;
  const atLeast = item.complete === false ? "at least " : "";
  return `the folder ${name} (id ${item.id}, ${atLeast}${formatBytes(item.sizeBytes) || "0 bytes"} in ${atLeast}${countOf(item.files, "file")}) and everything in it`;
}

/**
 * Any tool's failure with a parent_id that names a file, rethrown as "that is a file" (called
 * once, in define-tool.ts, for every tool); the error itself otherwise.
 */
export async function explainParentOfWrongKind(
  error: unknown,
  client: VagonClient,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<unknown> {
  const parentId = args.parent_id;
  if (!(error instanceof VagonError) || typeof parentId !== "number" || parentId <= 0) return error;
  try {
    await explainFileAsFolder(error, client, parentId, signal);
  } catch (explained) {
    return explained;
  }
  return error;
}
