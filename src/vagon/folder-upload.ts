// Folder upload: mirror a local tree under a Vagon folder (re-using folders that exist by
// name), then send its files through the single-file engine, several at a time. Small files
// and multipart ones get separate lanes so a few big files never hold the small ones back.
// Every file either completes or leaves no entry (the single-file engine removes its own).
import type * as fs from "node:fs/promises";
import path from "node:path";
import type { CheckedPath } from "../local/containment.js";
import { type Logger, silentLogger } from "../log.js";
import { runPool } from "../pool.js";
import { errorMessage } from "./retry.js";
import type { Entry, VagonClient } from "./types.js";
import { chooseChunkSizeMb, UploadFailedError, uploadFile } from "./upload.js";
import { listFolderPages } from "./walk.js";

const MIB = 1024 * 1024;
/** Single-part files in flight at once: each costs two API round trips and one PUT (as many as the client has connections). */
const SMALL_FILES_IN_FLIGHT = 16;
/** Multipart files in flight at once, each with its own `partConcurrency` parts. */
const LARGE_FILES_IN_FLIGHT = 2;
/** Folders created or listed at once. */
const FOLDERS_IN_FLIGHT = 8;

export interface FolderPlanFile {
  /** Relative to the uploaded folder, "/" separated. */
  relativePath: string;
  /** Checked absolute local path. */
  path: CheckedPath;
  sizeBytes: number;
}

export interface FolderUploadOptions {
  client: VagonClient;
  /** Name of the folder created (or re-used) under parentId. */
  folderName: string;
  /** Relative folder paths, parents first. */
  directories: string[];
  files: FolderPlanFile[];
  parentId: number;
  machineId?: number;
  /** A file whose name and size already match at the destination is not sent again. */
  skipExisting: boolean;
  overwrite?: boolean;
  contentTypeOf(fileName: string): string;
  /**
   * Opens a file of the plan for reading, proving it is still the file the walk found (no link
   * on its path): every byte is read from that handle.
   */
  openFile(file: FolderPlanFile): Promise<fs.FileHandle>;
  chunkSizeMb?: number;
  /** Parts in flight per multipart file. */
  partConcurrency?: number;
  smallFilesInFlight?: number;
  largeFilesInFlight?: number;
  /** Bytes sent so far over the bytes to send (skipped files excluded), and files finished. */
  onProgress?: (progress: {
    sentBytes: number;
    totalBytes: number;
    filesDone: number;
    filesTotal: number;
  }) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface FolderUploadResult {
  folderId: number;
  uploaded: number;
  skipped: number;
  failed: { path: string; message: string }[];
  /** Bytes of the files uploaded by this call. */
  bytes: number;
}

/** What a remote folder already holds, by name. */
interface RemoteFolder {
  id: number;
  children: Map<string, Entry>;
}

export async function uploadFolder(options: FolderUploadOptions): Promise<FolderUploadResult> {
  const rootChildren = await listChildren(options, options.parentId);
  const top = await ensureFolder(
    options,
    { id: options.parentId, children: rootChildren },
    options.folderName,
  );
  const layout = await mirrorFolders(options, top);
  const { toSend, skipped, failed } = chooseFilesToSend(options, layout);
  const sent = await sendFiles(options, toSend, failed);
  options.signal?.throwIfAborted();
  return { folderId: top.id, uploaded: sent.uploaded, skipped, failed, bytes: sent.bytes };
}

/** Every entry of a remote folder, by name (the first of a name wins). */
async function listChildren(options: FolderUploadOptions, folderId: number): Promise<Map<string, Entry>> {
  const children = new Map<string, Entry>();
  const params = {
    location: options.machineId === undefined ? ("shared" as const) : ("machine" as const),
    parentId: folderId,
    ...(options.machineId !== undefined ? { machineId: options.machineId } : {}),
  };
  const { entries } = await listFolderPages(options.client, params, { perPage: 100, signal: options.signal });
  for (const entry of entries) if (!children.has(entry.name)) children.set(entry.name, entry);
  return children;
}

/** The folder `name` inside `parent`: the existing one, or a new one. */
async function ensureFolder(
  options: FolderUploadOptions,
  parent: RemoteFolder,
  name: string,
): Promise<RemoteFolder> {
  const existing = parent.children.get(name);
  if (existing?.kind === "directory")
    return { id: existing.id, children: await listChildren(options, existing.id) };
  if (existing) throw new Error(`a file named "${name}" is in the way of the folder`);
  const created = await options.client.createDirectory(
    {
      name,
      parentId: parent.id,
      ...(options.machineId !== undefined ? { machineId: options.machineId } : {}),
    },
    { signal: options.signal },
  );
  return { id: created.id, children: new Map() };
}

/** The remote side of the local tree, by relative folder path ("" is the uploaded folder). */
interface RemoteLayout {
  folders: Map<string, RemoteFolder>;
  /** Relative folders that could not be mirrored, with why: their files fail with that reason. */
  brokenFolders: Map<string, string>;
}

/** Relative "/" path → its parent's ("" at the top). */
function parentOf(relativePath: string): string {
  return path.posix.dirname(relativePath) === "." ? "" : path.posix.dirname(relativePath);
}

/** Finds or creates every folder of the plan under `top`, level by level so parents exist first. */
async function mirrorFolders(options: FolderUploadOptions, top: RemoteFolder): Promise<RemoteLayout> {
  const { signal } = options;
  const folders = new Map<string, RemoteFolder>([["", top]]);
  const brokenFolders = new Map<string, string>();
  const byDepth = new Map<number, string[]>();
  for (const directory of options.directories) {
    const depth = directory.split("/").length;
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), directory]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
    await runPool(
      byDepth.get(depth)!,
      FOLDERS_IN_FLIGHT,
      async (directory) => {
        const parentPath = parentOf(directory);
        const parent = folders.get(parentPath);
        if (!parent) {
          brokenFolders.set(
            directory,
            brokenFolders.get(parentPath) ?? "its parent folder could not be created",
          );
          return;
        }
        try {
          folders.set(directory, await ensureFolder(options, parent, path.posix.basename(directory)));
        } catch (error) {
          if (signal?.aborted) throw signal.reason ?? error;
          brokenFolders.set(directory, `its folder could not be created (${errorMessage(error)})`);
        }
      },
      { signal },
    );
  }
  return { folders, brokenFolders };
}

interface FileToSend {
  file: FolderPlanFile;
  folderId: number;
}

/** Which files to send; the rest are skipped (already there) or fail with their folder. */
function chooseFilesToSend(
  options: FolderUploadOptions,
  { folders, brokenFolders }: RemoteLayout,
): { toSend: FileToSend[]; skipped: number; failed: FolderUploadResult["failed"] } {
  const toSend: FileToSend[] = [];
  const failed: FolderUploadResult["failed"] = [];
  let skipped = 0;
  for (const file of options.files) {
    const folderPath = parentOf(file.relativePath);
    const folder = folders.get(folderPath);
    if (!folder) {
      failed.push({
        path: file.relativePath,
        message: brokenFolders.get(folderPath) ?? "its folder is missing",
      });
      continue;
    }
    const existing = folder.children.get(path.posix.basename(file.relativePath));
    if (options.skipExisting && existing?.kind === "file" && existing.size === file.sizeBytes) {
      skipped++;
      continue;
    }
    toSend.push({ file, folderId: folder.id });
  }
  return { toSend, skipped, failed };
}

/**
 * Sends the files through the single-file engine, small and multipart ones in separate lanes so a
 * few big files never hold the small ones back. A file that fails is added to `failed`; after a
 * cancellation the caller checks its signal.
 */
async function sendFiles(
  options: FolderUploadOptions,
  toSend: FileToSend[],
  failed: FolderUploadResult["failed"],
): Promise<{ uploaded: number; bytes: number }> {
  const { signal } = options;
  const logger = options.logger ?? silentLogger;
  const totalBytes = toSend.reduce((sum, { file }) => sum + file.sizeBytes, 0);
  let sentBytes = 0;
  let filesDone = 0;
  const report = () => options.onProgress?.({ sentBytes, totalBytes, filesDone, filesTotal: toSend.length });
  let uploaded = 0;
  let uploadedBytes = 0;

  const sendOne = async ({ file, folderId }: FileToSend) => {
    let fileSent = 0;
    try {
      await sendFile(options, file, folderId, logger, (fileSentNow) => {
        sentBytes += fileSentNow - fileSent;
        fileSent = fileSentNow;
        report();
      });
      uploaded++;
      uploadedBytes += file.sizeBytes;
    } catch (error) {
      // The engine reports the most sent; a failed file's bytes are no longer "sent".
      if (signal?.aborted) return;
      failed.push({ path: file.relativePath, message: failureReason(error) });
      logger.debug("folder upload: file failed", { path: file.relativePath, reason: errorMessage(error) });
    } finally {
      filesDone++;
      report();
    }
  };

  const isSmall = ({ file }: FileToSend) =>
    file.sizeBytes <= (options.chunkSizeMb ?? chooseChunkSizeMb(file.sizeBytes)) * MIB;
  report();
  await Promise.all([
    runPool(toSend.filter(isSmall), options.smallFilesInFlight ?? SMALL_FILES_IN_FLIGHT, sendOne, { signal }),
    runPool(
      toSend.filter((item) => !isSmall(item)),
      options.largeFilesInFlight ?? LARGE_FILES_IN_FLIGHT,
      sendOne,
      { signal },
    ),
  ]);
  return { uploaded, bytes: uploadedBytes };
}

/** One file, read only through the handle `openFile` proved to be the file the walk found. */
async function sendFile(
  options: FolderUploadOptions,
  file: FolderPlanFile,
  folderId: number,
  logger: Logger,
  onProgress: (fileSentBytes: number) => void,
): Promise<void> {
  const fileName = path.posix.basename(file.relativePath);
  const handle = await options.openFile(file);
  try {
    await uploadFile({
      client: options.client,
      source: { kind: "file", path: file.path, handle },
      fileName,
      contentType: options.contentTypeOf(fileName),
      parentId: folderId,
      ...(options.machineId !== undefined ? { machineId: options.machineId } : {}),
      overwrite: options.overwrite ?? false,
      ...(options.chunkSizeMb ? { chunkSizeMb: options.chunkSizeMb } : {}),
      concurrency: options.partConcurrency ?? 4,
      signal: options.signal,
      logger,
      onProgress,
    });
  } finally {
    await handle.close().catch(() => {});
  }
}

/** The engine's message says the entry was removed; in a folder result the reason is what counts. */
function failureReason(error: unknown): string {
  const message = errorMessage(error);
  if (error instanceof UploadFailedError && !error.entryRemoved) return message;
  return message
    .replace(/^Uploading "[^"]*" failed: /, "")
    .replace(/\.? The partially uploaded entry \(id \d+\) was removed, so nothing is left behind.*$/, "")
    .slice(0, 200);
}
