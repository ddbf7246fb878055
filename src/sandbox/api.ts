// The ten Files API endpoints, as files-api.md describes them. Handlers validate, act on the
// in-memory state and return a body; the server adds auth, faults and the request log.

import { formatBytes } from "../units.js";
import { isWellFormedText } from "../well-formed.js";
import { ApiError, badRequest, notFound } from "./errors.js";
import type { Presigner } from "./s3.js";
import { okFields, renderDiskItem, renderEntry } from "./shapes.js";
import {
  type DiskNode,
  type EntryRecord,
  type MachineRecord,
  machineStorage,
  objectKeyFor,
  RECORDINGS_STORAGE,
  type SandboxState,
  SHARED_STORAGE,
  type StorageKey,
  sortForListing,
} from "./state.js";
import type { ZipInput, ZipJobs, ZipPlan } from "./zip-jobs.js";

export interface ApiRequest {
  /** Path parameters in order of appearance (`:id`). */
  params: string[];
  query: URLSearchParams;
  /** Parsed JSON body; {} when the request had none. */
  body: Record<string, unknown>;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

export const DEFAULT_PER_PAGE = 20;
/** Larger `per_page` values are clamped to this, not refused. */
export const MAX_PER_PAGE = 100;
export const DEFAULT_CHUNK_SIZE_MB = 250;
const MAX_CHUNK_SIZE_MB = 5 * 1024;
/** S3 refuses more parts than this in one multipart upload. */
const MAX_PARTS = 10_000;
const MAX_NAME_LENGTH = 255;
const BYTES_PER_MB = 1024 * 1024;

export interface FilesApiOptions {
  state: SandboxState;
  presigner: Presigner;
  jobs: ZipJobs;
  presignTtlSeconds: number;
  clock: () => number;
}

// -- input parsing ------------------------------------------------------------------------------

function parseId(raw: string | undefined, what: string): number {
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) throw badRequest(`${what} must be a positive integer`);
  return Number(raw);
}

function queryInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d{1,15}$/.test(raw)) throw badRequest(`${name} must be an integer`);
  return Number(raw);
}

/** JSON integers; digit strings are accepted too, as Rails-style APIs coerce them. */
function bodyInt(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  throw badRequest(`${name} must be an integer`);
}

function paging(query: URLSearchParams): { page: number; perPage: number; search: string | null } {
  const page = queryInt(query, "page") ?? 1;
  const perPage = queryInt(query, "per_page") ?? DEFAULT_PER_PAGE;
  if (page < 1) throw badRequest("page must be 1 or more");
  if (perPage < 1) throw badRequest("per_page must be 1 or more");
  const search = query.get("q")?.trim() ?? "";
  return {
    page,
    perPage: Math.min(perPage, MAX_PER_PAGE),
    search: search === "" ? null : search.toLowerCase(),
  };
}

function validName(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw badRequest("file_name is required");
  if (value.length > MAX_NAME_LENGTH)
    throw badRequest(`file_name is longer than ${MAX_NAME_LENGTH} characters`);
  // Before anything is created: a name with a lone surrogate has no UTF-8 form to store.
  if (!isWellFormedText(value)) throw badRequest("file_name is not well-formed Unicode (a lone surrogate)");
  if (/[/\\]/.test(value) || value === "." || value === ".." || /\p{Cc}/u.test(value)) {
    throw badRequest("file_name must be a plain name without slashes or control characters");
  }
  return value;
}

/** "name.txt" → "name (1).txt" until unused (case-insensitive: zips get extracted on Windows too). */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : "";
  for (let counter = 1; used.has(candidate.toLowerCase()); counter++)
    candidate = `${stem} (${counter})${extension}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

// -- the API --------------------------------------------------------------------------------------

export class FilesApi {
  constructor(private readonly options: FilesApiOptions) {}

  private get state(): SandboxState {
    return this.options.state;
  }

  private ok(fields: Record<string, unknown>): ApiResponse {
    return { status: 200, body: { ...fields, ...okFields(this.options.clock()) } };
  }

  private machine(id: number): MachineRecord {
    const machine = this.state.machines.get(id);
    if (!machine) throw notFound(`Machine ${id} not found or does not belong to organization`);
    return machine;
  }

  // POST /machines/{id}/list-content
  listContent(request: ApiRequest): ApiResponse {
    const machineId = parseId(request.params[0], "Machine id");
    const machine = this.machine(machineId);
    const path = request.body.path;
    if (typeof path !== "string" || path.trim() === "")
      throw badRequest('path is required, e.g. "C:\\\\Users"');
    if (!machine.running) throw badRequest("Bad request: machine is not running");
    const resolved = resolveWindowsPath(machine.disk, path);
    if (!resolved) {
      throw notFound(
        /\//.test(path)
          ? `Path not found: ${path} (use Windows backslashes, e.g. "C:\\\\Users")`
          : `Path not found on machine ${machineId}: ${path}`,
      );
    }
    if (resolved.node.kind !== "directory" || !resolved.node.children) {
      throw badRequest(`${resolved.displayPath} is a file, not a folder`);
    }
    const children = [...resolved.node.children.values()].sort(
      (a, b) => Number(a.kind === "file") - Number(b.kind === "file") || a.name.localeCompare(b.name),
    );
    const base = resolved.displayPath.endsWith("\\") ? resolved.displayPath : `${resolved.displayPath}\\`;
    return this.ok({
      content: children.map((child) => renderDiskItem(child, `${base}${child.name}`, this.state.shape)),
    });
  }

  // GET /files
  listShared(request: ApiRequest): ApiResponse {
    const folder = this.folderFor(request.query, (entry) => entry.storage === SHARED_STORAGE, SHARED_STORAGE);
    return this.listing(folder, this.state.childrenOf(folder.id), request.query);
  }

  // GET /files/recordings
  listRecordings(request: ApiRequest): ApiResponse {
    const machineId = queryInt(request.query, "machine_id");
    if (machineId !== undefined) this.machine(machineId);
    const folder = this.folderFor(
      request.query,
      (entry) => entry.storage === RECORDINGS_STORAGE,
      RECORDINGS_STORAGE,
    );
    let children = this.state.childrenOf(folder.id);
    if (machineId !== undefined)
      children = children.filter((entry) => entry.recordedOnMachineId === machineId);
    return this.listing(folder, children, request.query);
  }

  // GET /machines/{id}/files
  listMachineFiles(request: ApiRequest): ApiResponse {
    const machineId = parseId(request.params[0], "Machine id");
    const machine = this.machine(machineId);
    const taskId = queryInt(request.query, "task_id");
    const parentId = queryInt(request.query, "parent_id") ?? 0;
    if (taskId === undefined) {
      // The machine's storage, plus the recordings of sessions that ran on it (reached from task listings).
      const folder = this.folderFor(
        request.query,
        (entry) =>
          entry.storage === machineStorage(machineId) ||
          (entry.storage === RECORDINGS_STORAGE &&
            entry.recordedOnMachineId === machineId &&
            entry.kind !== "root"),
        machineStorage(machineId),
      );
      return this.listing(folder, this.state.childrenOf(folder.id), request.query);
    }
    const task = this.state.tasks.get(taskId);
    if (!task || task.machineId !== machineId)
      throw notFound(`Task ${taskId} not found on machine ${machineId}`);
    const taskFolderIds = [task.outputFolderId, ...task.recordingFolderIds];
    if (parentId === 0) {
      // Only the task's folders at this level; clients descend with parent_id.
      const folders = taskFolderIds
        .map((id) => this.state.liveEntry(id))
        .filter((entry): entry is EntryRecord => entry !== undefined);
      return this.listing(this.state.rootOf(machineStorage(machine.id)), folders, request.query);
    }
    const folder = this.folderFor(
      request.query,
      (entry) => taskFolderIds.some((id) => this.state.isWithin(entry, id)),
      machineStorage(machineId),
    );
    return this.listing(folder, this.state.childrenOf(folder.id), request.query);
  }

  /** The folder named by `parent_id` (0 or absent = the storage's root), if `allowed`. */
  private folderFor(
    query: URLSearchParams,
    allowed: (entry: EntryRecord) => boolean,
    storage: StorageKey,
  ): EntryRecord {
    const parentId = queryInt(query, "parent_id") ?? 0;
    if (parentId < 0) throw badRequest("parent_id must be 0 or more");
    if (parentId === 0) return this.state.rootOf(storage);
    const folder = this.state.liveEntry(parentId);
    if (!folder || folder.kind === "file" || !allowed(folder))
      throw notFound(`Parent folder ${parentId} not found`);
    return folder;
  }

  private listing(folder: EntryRecord, children: EntryRecord[], query: URLSearchParams): ApiResponse {
    const { page, perPage, search } = paging(query);
    const matching = search
      ? children.filter((entry) => entry.name.toLowerCase().includes(search))
      : children;
    const sorted = sortForListing(matching);
    const pageEntries = sorted.slice((page - 1) * perPage, page * perPage);
    const shape = this.state.shape;
    return this.ok({
      files: pageEntries.map((entry) => renderEntry(this.state, entry, shape)),
      current: renderEntry(this.state, folder, shape),
      count: sorted.length,
      page,
      next_page: page * perPage < sorted.length ? page + 1 : null,
    });
  }

  // POST /files
  create(request: ApiRequest): ApiResponse {
    const { body } = request;
    const objectType = body.object_type;
    if (objectType !== "file" && objectType !== "directory")
      throw badRequest('object_type must be "file" or "directory"');
    const name = validName(body.file_name);
    const machineId = bodyInt(body, "machine_id");
    if (machineId !== undefined) this.machine(machineId);
    const storage = machineId === undefined ? SHARED_STORAGE : machineStorage(machineId);
    const parentId = bodyInt(body, "parent_id");
    if (parentId === undefined) throw badRequest("parent_id is required (0 = root folder)");
    const parent = parentId === 0 ? this.state.rootOf(storage) : this.state.liveEntry(parentId);
    if (!parent || parent.kind === "file" || parent.storage !== storage) {
      throw badRequest(
        `Parent folder ${parentId} not found or deleted in ${machineId === undefined ? "the shared storage" : `machine ${machineId}'s storage`}`,
      );
    }
    const overwrite = body.overwrite === true;
    const existing = this.state.findBlockingSibling(parent.id, name);

    if (objectType === "directory") {
      if (existing)
        throw new ApiError(
          451,
          `A ${existing.kind === "file" ? "file" : "folder"} named "${name}" already exists here`,
        );
      const directory = this.state.addDirectory(parent, name);
      return this.ok({
        id: directory.id,
        uid: directory.uid,
        upload_urls: null,
        chunk_size: DEFAULT_CHUNK_SIZE_MB,
      });
    }

    if (typeof body.content_type !== "string" || body.content_type.trim() === "") {
      throw badRequest("content_type is required for files");
    }
    const sizeBytes = bodyInt(body, "size");
    if (sizeBytes === undefined || sizeBytes < 0)
      throw badRequest("size is required for files (bytes, 0 or more)");
    const chunkSizeMb = bodyInt(body, "chunk_size") ?? DEFAULT_CHUNK_SIZE_MB;
    if (chunkSizeMb < 1 || chunkSizeMb > MAX_CHUNK_SIZE_MB)
      throw badRequest(`chunk_size must be 1..${MAX_CHUNK_SIZE_MB} (MB)`);
    // Vagon counts chunk size in MB, S3 parts in bytes.
    const partCount = Math.max(1, Math.ceil(sizeBytes / (chunkSizeMb * BYTES_PER_MB)));
    if (partCount > MAX_PARTS)
      throw badRequest(`chunk_size too small: ${partCount} parts, at most ${MAX_PARTS}`);
    if (existing && (!overwrite || existing.kind !== "file")) {
      throw new ApiError(
        451,
        existing.kind === "file"
          ? `A file named "${name}" already exists here (send overwrite: true to replace it)`
          : `A folder named "${name}" already exists here`,
      );
    }
    const storageRecord = this.state.storageByKey(storage);
    const freedBytes = existing ? existing.sizeBytes : 0;
    const freeBytes = storageRecord.quotaBytes - storageRecord.usedBytes + freedBytes;
    if (sizeBytes > freeBytes) {
      throw new ApiError(
        450,
        `Storage full: the file needs ${formatBytes(sizeBytes)} but only ${formatBytes(Math.max(0, freeBytes))} of ${formatBytes(storageRecord.quotaBytes)} are free`,
      );
    }

    const entry = this.state.addPendingFile(parent, {
      name,
      sizeBytes,
      contentType: body.content_type,
      chunkSizeMb,
      partCount,
      overwrite,
    });
    const upload = entry.upload;
    if (!upload) throw new Error("pending file without upload");
    const uploadUrls = [];
    for (let partNumber = 1; partNumber <= partCount; partNumber++) {
      uploadUrls.push({
        part_number: partNumber,
        url: this.options.presigner.sign({
          method: "PUT",
          key: objectKeyFor(entry),
          uploadId: upload.uploadId,
          partNumber,
          expiresInSeconds: this.options.presignTtlSeconds,
        }),
      });
    }
    return this.ok({ id: entry.id, uid: entry.uid, upload_urls: uploadUrls, chunk_size: chunkSizeMb });
  }

  // POST /files/{id}/complete
  complete(request: ApiRequest): ApiResponse {
    const id = parseId(request.params[0], "File id");
    const entry = this.state.liveEntry(id);
    if (!entry) throw notFound(`File ${id} not found or does not belong to organization`);
    if (entry.kind !== "file")
      throw badRequest(`${entry.name} is a folder; only file uploads can be completed`);
    const upload = entry.upload;
    if (entry.status === "upload_completed" || !upload)
      throw badRequest(`The upload of ${entry.name} is already completed`);

    const parts = request.body.parts;
    if (!Array.isArray(parts) || parts.length === 0)
      throw badRequest("parts must be a non-empty array of {part_number, etag}");
    parts.forEach((part: unknown, index) => {
      const record = part as { part_number?: unknown; etag?: unknown } | null;
      if (typeof record !== "object" || record === null) throw badRequest("invalid parts format");
      if (typeof record.etag !== "string" || !Number.isSafeInteger(record.part_number)) {
        throw badRequest("invalid parts format: each part needs an integer part_number and a string etag");
      }
      if (record.part_number !== index + 1) {
        throw badRequest("Parts must be in order: part_number 1, 2, 3, ... without gaps or repeats");
      }
      const stored = this.options.state.store.getPart(upload.uploadId, index + 1);
      if (!stored) throw badRequest(`Part ${index + 1} was not uploaded`);
      if (record.etag !== stored.etag) {
        throw badRequest(
          `ETag of part ${index + 1} does not match the uploaded part (send it exactly as S3 returned it, quotes included)`,
        );
      }
    });
    if (parts.length !== upload.partCount) {
      throw badRequest(`Expected ${upload.partCount} parts, got ${parts.length}`);
    }

    let uploadedBytes = 0;
    for (let partNumber = 1; partNumber <= upload.partCount; partNumber++) {
      uploadedBytes += this.state.store.getPart(upload.uploadId, partNumber)?.sizeBytes ?? 0;
    }
    if (uploadedBytes !== entry.sizeBytes) {
      this.state.deleteTree(entry);
      throw new ApiError(
        452,
        `File size mismatch: uploaded ${uploadedBytes} bytes but ${entry.sizeBytes} were declared; the file was deleted`,
      );
    }
    const replaced =
      upload.overwrite && entry.parentId !== null
        ? this.state
            .childrenOf(entry.parentId)
            .filter(
              (sibling) =>
                sibling.id !== entry.id &&
                sibling.name === entry.name &&
                sibling.status === "upload_completed",
            )
        : [];
    const storage = this.state.storageOf(entry);
    const freedBytes = replaced.reduce(
      (sum, sibling) => sum + (sibling.kind === "file" ? sibling.sizeBytes : 0),
      0,
    );
    if (storage.usedBytes - freedBytes + entry.sizeBytes > storage.quotaBytes) {
      this.state.deleteTree(entry);
      throw new ApiError(450, "Storage limit exceeded after upload completion; the file was deleted");
    }

    const object = this.state.store.completeUpload(
      upload.uploadId,
      upload.partCount,
      entry.contentType,
      entry.name,
    );
    this.state.markCompleted(entry, object.key);
    // overwrite=true: the old file is replaced only now, so an abandoned upload never loses it.
    for (const sibling of replaced) this.state.deleteTree(sibling);
    return this.ok({
      uid: entry.uid,
      download_url: this.presignGet(object.key, this.options.presignTtlSeconds),
    });
  }

  // DELETE /files/{id}
  delete(request: ApiRequest): ApiResponse {
    const id = parseId(request.params[0], "File id");
    // The older revision shows roots as id 0.
    if (id === 0) throw new ApiError(450, "Root folders can't be deleted");
    const entry = this.state.liveEntry(id);
    if (!entry) throw notFound(`File or folder ${id} not found or does not belong to organization`);
    if (entry.kind === "root") throw new ApiError(450, "Root folders can't be deleted");
    this.state.deleteTree(entry);
    return this.ok({});
  }

  // POST /files/download
  download(request: ApiRequest): ApiResponse {
    const { body } = request;
    const fileIdsRaw = body.file_ids;
    const given = [
      body.directory_id !== undefined && body.directory_id !== null,
      Array.isArray(fileIdsRaw) ? fileIdsRaw.length > 0 : fileIdsRaw !== undefined && fileIdsRaw !== null,
      body.task_id !== undefined && body.task_id !== null,
    ].filter(Boolean).length;
    if (given !== 1) {
      throw new ApiError(
        4722,
        "Provide exactly one of directory_id, file_ids or task_id (they are mutually exclusive)",
      );
    }

    if (fileIdsRaw !== undefined && fileIdsRaw !== null) {
      if (
        !Array.isArray(fileIdsRaw) ||
        !fileIdsRaw.every((id) => Number.isSafeInteger(id) && (id as number) > 0)
      ) {
        throw badRequest("file_ids must be an array of file ids (integers)");
      }
      const fileIds = [...new Set(fileIdsRaw as number[])];
      const [onlyId] = fileIds;
      if (fileIds.length === 1 && onlyId !== undefined) return this.singleFileLink(onlyId);
      this.requireMultipleFileDownload();
      return this.startJob(this.planForFiles(fileIds));
    }
    const directoryId = bodyInt(body, "directory_id");
    if (directoryId !== undefined) {
      this.requireMultipleFileDownload();
      return this.startJob(this.planForDirectory(directoryId));
    }
    const taskId = bodyInt(body, "task_id");
    if (taskId === undefined)
      throw new ApiError(4722, "Provide exactly one of directory_id, file_ids or task_id");
    this.requireMultipleFileDownload();
    return this.startJob(this.planForTask(taskId));
  }

  // GET /files/downloads/{id}
  downloadStatus(request: ApiRequest): ApiResponse {
    const job = this.job(request);
    const attributes: Record<string, unknown> = { status: job.status };
    if (job.status === "uploaded" && job.objectKey) {
      const secondsLeft = (job.expiresAtMs - this.options.clock()) / 1000;
      attributes.download_url = this.presignGet(job.objectKey, secondsLeft);
    }
    attributes.expires_at = new Date(job.expiresAtMs).toISOString();
    attributes.size = job.plan.sizeBytes;
    return this.ok({ id: String(job.downloadId), type: "download", attributes });
  }

  // DELETE /files/downloads/{id}
  abortDownload(request: ApiRequest): ApiResponse {
    const job = this.job(request);
    if (!this.options.jobs.abort(job)) {
      throw new ApiError(4716, `Download ${job.downloadId} can't be aborted: it is already ${job.status}`);
    }
    return this.ok({});
  }

  // -- downloads ----------------------------------------------------------------------------------

  private job(request: ApiRequest) {
    const downloadId = parseId(request.params[0], "Download id");
    const job = this.options.jobs.get(downloadId);
    if (!job) throw notFound(`Download ${downloadId} not found, expired, or does not belong to organization`);
    return job;
  }

  private requireMultipleFileDownload(): void {
    if (!this.state.multipleFileDownload) {
      throw new ApiError(
        4710,
        "Permission required: downloading several files, a folder or a task needs the multiple_file_download feature",
      );
    }
  }

  private presignGet(key: string, expiresInSeconds: number): string {
    return this.options.presigner.sign({ method: "GET", key, expiresInSeconds });
  }

  private singleFileLink(fileId: number): ApiResponse {
    const entry = this.state.liveEntry(fileId);
    if (!entry) throw notFound(`File ${fileId} not found or does not belong to organization`);
    if (entry.kind !== "file")
      throw new ApiError(4717, `${entry.name} is a folder: download it with directory_id`);
    if (entry.status !== "upload_completed" || !entry.objectKey) {
      throw new ApiError(4717, `File ${entry.name} has not finished uploading`);
    }
    if (!this.state.store.objects.has(entry.objectKey))
      throw new ApiError(4720, "Download URL generation failed");
    return this.ok({
      url: this.presignGet(entry.objectKey, this.options.presignTtlSeconds),
      size: entry.sizeBytes,
      name: entry.name,
      content_type: entry.contentType,
    });
  }

  private startJob(plan: ZipPlan): ApiResponse {
    const job = this.options.jobs.start(plan);
    return this.ok({ download_id: job.downloadId, size: plan.sizeBytes, name: plan.name });
  }

  private planForFiles(fileIds: number[]): ZipPlan {
    const used = new Set<string>();
    const files: ZipInput[] = [];
    const missing: number[] = [];
    for (const id of fileIds) {
      const entry = this.state.liveEntry(id);
      if (entry?.kind !== "file" || entry.status !== "upload_completed") {
        missing.push(id);
        continue;
      }
      files.push(zipInput(entry, uniqueName(entry.name, used)));
    }
    if (missing.length > 0) {
      throw new ApiError(
        4718,
        `File count mismatch: ${fileIds.length} files requested, ${files.length} found (not found or not completed: ${missing.join(", ")})`,
      );
    }
    return { name: "files.zip", files, emptyDirectories: [], sizeBytes: totalSize(files) };
  }

  private planForDirectory(directoryId: number): ZipPlan {
    const directory = this.state.liveEntry(directoryId);
    if (!directory) throw notFound(`Directory ${directoryId} not found or does not belong to organization`);
    if (directory.kind === "file")
      throw new ApiError(4717, `${directory.name} is a file, not a directory: use file_ids`);
    const files: ZipInput[] = [];
    const emptyDirectories: string[] = [];
    this.collect(directory, "", files, emptyDirectories);
    if (files.length === 0)
      throw new ApiError(4719, `Directory ${directory.name} is empty or has no completed files`);
    return { name: `${directory.name}.zip`, files, emptyDirectories, sizeBytes: totalSize(files) };
  }

  private planForTask(taskId: number): ZipPlan {
    const task = this.state.tasks.get(taskId);
    if (!task) throw notFound(`Task ${taskId} not found or does not belong to organization`);
    const folders = [task.outputFolderId, ...task.recordingFolderIds]
      .map((id) => this.state.liveEntry(id))
      .filter((entry): entry is EntryRecord => entry !== undefined);
    if (folders.length === 0) throw new ApiError(4717, `The folders of task ${taskId} no longer exist`);
    const files: ZipInput[] = [];
    const emptyDirectories: string[] = [];
    const used = new Set<string>();
    // Each input directory becomes a top-level folder of the archive, named after it.
    for (const folder of folders) {
      const prefix = `${uniqueName(folder.name, used)}/`;
      const before = emptyDirectories.length;
      if (!this.collect(folder, prefix, files, emptyDirectories) && emptyDirectories.length === before) {
        emptyDirectories.push(prefix);
      }
    }
    if (files.length === 0) throw new ApiError(4719, `Task ${taskId} has no completed files`);
    return { name: `task-${taskId}.zip`, files, emptyDirectories, sizeBytes: totalSize(files) };
  }

  /** Completed files below `folder`, with archive paths under `prefix`; returns whether any was found. */
  private collect(
    folder: EntryRecord,
    prefix: string,
    files: ZipInput[],
    emptyDirectories: string[],
  ): boolean {
    let found = false;
    for (const child of sortForListing(this.state.childrenOf(folder.id))) {
      if (child.kind === "file") {
        if (child.status !== "upload_completed") continue;
        files.push(zipInput(child, `${prefix}${child.name}`));
        found = true;
      } else {
        const childPrefix = `${prefix}${child.name}/`;
        const before = emptyDirectories.length;
        const childHasFiles = this.collect(child, childPrefix, files, emptyDirectories);
        if (!childHasFiles && emptyDirectories.length === before) emptyDirectories.push(childPrefix);
        found ||= childHasFiles;
      }
    }
    return found;
  }
}

function zipInput(entry: EntryRecord, zipPath: string): ZipInput {
  return { entryId: entry.id, zipPath, sizeBytes: entry.sizeBytes, modifiedAtMs: entry.modifiedAtMs };
}

function totalSize(files: ZipInput[]): number {
  return files.reduce((sum, file) => sum + file.sizeBytes, 0);
}

// -- live disk ------------------------------------------------------------------------------------

/**
 * "C:\\Users\\Public" → the node and its display path. Case-insensitive like Windows; a
 * trailing backslash is fine; forward slashes are not Windows paths and match nothing.
 */
export function resolveWindowsPath(
  disk: DiskNode,
  rawPath: string,
): { node: DiskNode; displayPath: string } | null {
  const path = rawPath.trim();
  if (path.includes("/")) return null;
  const segments = path.split("\\").filter((segment) => segment !== "");
  const [drive, ...rest] = segments;
  if (!drive || !/^[A-Za-z]:$/.test(drive)) return null;
  const driveNode = disk.children?.get(drive.toLowerCase());
  if (!driveNode) return null;
  let node = driveNode;
  let displayPath = `${driveNode.name}\\`;
  for (const segment of rest) {
    const next = node.children?.get(segment.toLowerCase());
    if (!next) return null;
    node = next;
    displayPath = displayPath.endsWith("\\") ? `${displayPath}${next.name}` : `${displayPath}\\${next.name}`;
  }
  return { node, displayPath };
}
