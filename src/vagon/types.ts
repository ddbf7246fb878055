// The normalized vocabulary of the Vagon client. Whatever shape the API answered with
// (current JSON:API-like or the older flat revision), callers only ever see these types.
import type { HttpPool } from "./http.js";

export type Location = "shared" | "machine" | "recordings";
export type EntryKind = "file" | "directory";

/** One file or folder, in the shape SPEC §2 fixes for every tool. */
export interface Entry {
  id: number;
  name: string;
  kind: EntryKind;
  size: number | null;
  content_type: string | null;
  modified: string | null;
  path: string | null;
  status: string;
  machine_id: number | null;
}

export interface Folder {
  id: number;
  name: string;
  path: string | null;
}

export interface StorageUsage {
  usedBytes: number;
  totalBytes: number;
}

export interface ListFilesParams {
  location: Location;
  /** Required for `machine`; optional filter for `recordings`; ignored for `shared`. */
  machineId?: number;
  /** 0 or undefined = the location's root. */
  parentId?: number;
  page?: number;
  perPage?: number;
  query?: string;
  /** machine location only */
  taskId?: number;
}

export interface FileListPage {
  entries: Entry[];
  /** The folder listed (`current` in the API); null when the API sent none. */
  folder: Folder | null;
  /** Total entries in the folder (`count`). */
  total: number;
  page: number;
  nextPage: number | null;
  /** Present when the listed folder is a root that reports its quota. */
  storage: StorageUsage | null;
}

/** One item of a running machine's live disk. */
export interface MachineContentItem {
  name: string;
  path: string;
  kind: EntryKind;
  size: number | null;
}

export interface CreateFileParams {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  parentId: number;
  machineId?: number;
  /** Vagon counts chunk size in MB. */
  chunkSizeMb?: number;
  overwrite?: boolean;
}

export interface UploadUrl {
  partNumber: number;
  url: string;
}

export interface CreatedUpload {
  id: number;
  uid: string;
  chunkSizeMb: number;
  uploadUrls: UploadUrl[];
}

export interface CreateDirectoryParams {
  name: string;
  parentId: number;
  machineId?: number;
}

export interface CreatedDirectory {
  id: number;
  uid: string | null;
}

export interface CompletedPart {
  partNumber: number;
  /** Exactly as S3 returned it, quotes included. */
  etag: string;
}

export interface CompletedUpload {
  uid: string;
  downloadUrl: string | null;
}

export type DownloadRequest = { fileIds: number[] } | { directoryId: number } | { taskId: number };

/** POST /files/download answers either a direct link (one file) or a zip job id. */
export type DownloadStart =
  | { kind: "link"; url: string; sizeBytes: number | null; name: string | null; contentType: string | null }
  | { kind: "job"; downloadId: number; sizeBytes: number | null; name: string | null };

export type DownloadJobStatus = "pending" | "processing" | "uploaded" | "failed" | "cancelled";

export interface DownloadJob {
  downloadId: number;
  status: DownloadJobStatus;
  url: string | null;
  expiresAt: string | null;
  sizeBytes: number | null;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** One method per documented endpoint; every method throws VagonError on failure. */
export interface VagonApi {
  listFiles(params: ListFilesParams, options?: CallOptions): Promise<FileListPage>;
  listMachineContent(
    machineId: number,
    windowsPath: string,
    options?: CallOptions,
  ): Promise<MachineContentItem[]>;
  createFile(params: CreateFileParams, options?: CallOptions): Promise<CreatedUpload>;
  createDirectory(params: CreateDirectoryParams, options?: CallOptions): Promise<CreatedDirectory>;
  completeUpload(fileId: number, parts: CompletedPart[], options?: CallOptions): Promise<CompletedUpload>;
  /** `alreadyGone`: an earlier attempt may have deleted it (a retry then found nothing, 404). */
  deleteFile(fileId: number, options?: CallOptions): Promise<{ alreadyGone: boolean }>;
  startDownload(request: DownloadRequest, options?: CallOptions): Promise<DownloadStart>;
  getDownload(downloadId: number, options?: CallOptions): Promise<DownloadJob>;
  abortDownload(downloadId: number, options?: CallOptions): Promise<void>;
}

export interface VagonClient extends VagonApi {
  /** The one keep-alive connection pool, shared with the upload/download engines for presigned URLs. */
  readonly http: HttpPool;
  close(): Promise<void>;
}
