// The Vagon Files API client: one function per documented endpoint, each checking its inputs,
// calling the request pipeline (request.ts) and parsing the answer; createVagonClient binds them
// to one pipeline. Knows nothing of MCP.
import { type ErrorContext, VagonError, type VagonOperation, withContext } from "./errors.js";
import {
  ALREADY_GONE,
  createRequestPipeline,
  type RequestPipeline,
  type VagonClientOptions,
} from "./request.js";
import {
  parseCompletedUpload,
  parseCreatedDirectory,
  parseCreatedUpload,
  parseDownloadJob,
  parseDownloadStart,
  parseFileListPage,
  parseMachineContent,
} from "./schemas.js";
import type {
  CallOptions,
  CompletedPart,
  CreateDirectoryParams,
  CreateFileParams,
  DownloadRequest,
  ListFilesParams,
  VagonClient,
} from "./types.js";

export type { VagonClientOptions };

function invalidInput(operation: VagonOperation, message: string): VagonError {
  return new VagonError({ kind: "invalid-input", operation, message });
}

function requireId(operation: VagonOperation, label: string, value: unknown, allowZero = false): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw invalidInput(
      operation,
      `${label} must be a ${allowZero ? "non-negative" : "positive"} whole number, not ${JSON.stringify(value) ?? String(value)}. Use an id from a listing, then try again.`,
    );
  }
  return value;
}

/**
 * Windows path in the one form Vagon accepts: backslashes only (`C:/Users` and `C:\\Users`
 * both become `C:\Users`), a bare drive gets its root, trailing separators go.
 */
export function toWindowsPath(input: string): string {
  let path = input.trim().replace(/\//g, "\\");
  const unc = path.startsWith("\\\\");
  path = path.replace(/\\{2,}/g, "\\");
  if (unc) path = `\\${path}`;
  if (/^[A-Za-z]:$/.test(path)) return `${path}\\`;
  if (/^[A-Za-z]:\\$/.test(path)) return path;
  return path.length > 1 ? path.replace(/\\+$/, "") : path;
}

export function createVagonClient(options: VagonClientOptions): VagonClient {
  const pipeline = createRequestPipeline(options);
  return {
    http: pipeline.http,
    listFiles: (params: ListFilesParams, callOptions?: CallOptions) =>
      listFiles(pipeline, params, callOptions),
    listMachineContent: (machineId: number, windowsPath: string, callOptions?: CallOptions) =>
      listMachineContent(pipeline, machineId, windowsPath, callOptions),
    createFile: (params: CreateFileParams, callOptions?: CallOptions) =>
      createFile(pipeline, params, callOptions),
    createDirectory: (params: CreateDirectoryParams, callOptions?: CallOptions) =>
      createDirectory(pipeline, params, callOptions),
    completeUpload: (fileId: number, parts: CompletedPart[], callOptions?: CallOptions) =>
      completeUpload(pipeline, fileId, parts, callOptions),
    deleteFile: (fileId: number, callOptions?: CallOptions) => deleteFile(pipeline, fileId, callOptions),
    startDownload: (downloadRequest: DownloadRequest, callOptions?: CallOptions) =>
      startDownload(pipeline, downloadRequest, callOptions),
    getDownload: (downloadId: number, callOptions?: CallOptions) =>
      getDownload(pipeline, downloadId, callOptions),
    abortDownload: (downloadId: number, callOptions?: CallOptions) =>
      abortDownload(pipeline, downloadId, callOptions),
    close: () => pipeline.http.close(),
  };
}

async function listFiles(pipeline: RequestPipeline, params: ListFilesParams, callOptions?: CallOptions) {
  const { request, read } = pipeline;
  const parentId =
    params.parentId === undefined ? 0 : requireId(operationOf(params), "parent_id", params.parentId, true);
  const common = {
    // 0 and "absent" both mean the root in every revision; sending nothing works in both.
    parent_id: parentId > 0 ? parentId : undefined,
    page: params.page === undefined ? undefined : requireId(operationOf(params), "page", params.page),
    per_page:
      params.perPage === undefined ? undefined : requireId(operationOf(params), "per_page", params.perPage),
    q: params.query?.trim() ? params.query.trim() : undefined,
  };
  const requestedPage = params.page;
  if (params.location === "machine") {
    const operation: VagonOperation = "list-machine-files";
    const machineId = requireId(operation, "machine_id", params.machineId);
    const taskId = params.taskId === undefined ? undefined : requireId(operation, "task_id", params.taskId);
    const context = { machineId, parentId, taskId };
    const body = await request({
      operation,
      method: "GET",
      endpoint: `/machines/${machineId}/files`,
      query: { ...common, task_id: taskId },
      context,
      idempotent: true,
      signal: callOptions?.signal,
    });
    return read({ operation, context }, () =>
      parseFileListPage(body, {
        requestedPage,
        requestedParentId: parentId,
        // The flat revision omits machine_id. A plain machine listing holds only that
        // machine's storage; a task listing mixes in recordings (no machine), so no guess there.
        defaults: taskId === undefined ? { machineId } : {},
      }),
    );
  }
  if (params.location === "recordings") {
    const operation: VagonOperation = "list-recordings";
    const machineId =
      params.machineId === undefined ? undefined : requireId(operation, "machine_id", params.machineId);
    const context = { machineId, parentId };
    const body = await request({
      operation,
      method: "GET",
      endpoint: "/files/recordings",
      query: { machine_id: machineId, ...common },
      context,
      idempotent: true,
      signal: callOptions?.signal,
    });
    return read({ operation, context }, () =>
      parseFileListPage(body, {
        requestedPage,
        requestedParentId: parentId,
        // Filtered by machine, every recording is that machine's, in either revision.
        defaults: machineId === undefined ? {} : { machineId },
      }),
    );
  }
  if (params.location !== "shared") {
    throw invalidInput(
      "list-files",
      `Unknown location ${JSON.stringify(params.location)}. Use shared, machine or recordings.`,
    );
  }
  const operation: VagonOperation = "list-files";
  const context = { parentId };
  const body = await request({
    operation,
    method: "GET",
    endpoint: "/files",
    query: common,
    context,
    idempotent: true,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () =>
    parseFileListPage(body, { requestedPage, requestedParentId: parentId }),
  );
}

async function listMachineContent(
  pipeline: RequestPipeline,
  machineId: number,
  windowsPath: string,
  callOptions?: CallOptions,
) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "list-content";
  requireId(operation, "machine_id", machineId);
  const path = toWindowsPath(windowsPath ?? "");
  if (!path)
    throw invalidInput(
      operation,
      'A folder path is needed, for example "C:\\Users". Pass one, then try again.',
    );
  const context = { machineId, path };
  const body = await request({
    operation,
    method: "POST",
    endpoint: `/machines/${machineId}/list-content`,
    body: { path },
    context,
    // A POST, but it only reads.
    idempotent: true,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () => parseMachineContent(body, path));
}

async function createFile(pipeline: RequestPipeline, params: CreateFileParams, callOptions?: CallOptions) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "create-file";
  const parentId = requireId(operation, "parent_id", params.parentId, true);
  const machineId =
    params.machineId === undefined ? undefined : requireId(operation, "machine_id", params.machineId);
  if (!Number.isSafeInteger(params.sizeBytes) || params.sizeBytes < 0) {
    throw invalidInput(
      operation,
      "The file size must be a whole number of bytes. Check the file, then try again.",
    );
  }
  if (params.chunkSizeMb !== undefined) requireId(operation, "chunk_size", params.chunkSizeMb);
  if (!params.fileName?.trim())
    throw invalidInput(operation, "A file name is needed. Pass one, then try again.");
  const context = { parentId, machineId, name: params.fileName, sizeBytes: params.sizeBytes };
  const body = await request({
    operation,
    method: "POST",
    endpoint: "/files",
    body: {
      file_name: params.fileName,
      object_type: "file",
      content_type: params.contentType || "application/octet-stream",
      size: params.sizeBytes,
      chunk_size: params.chunkSizeMb,
      overwrite: params.overwrite ?? false,
      parent_id: parentId,
      machine_id: machineId,
    },
    context,
    idempotent: false,
    signal: callOptions?.signal,
  }).catch(async (error: unknown) => {
    if (!(error instanceof VagonError) || error.code !== 450) throw error;
    // "Storage full" names no numbers: the root's listing reports the quota and its use.
    const storage = await listFiles(
      pipeline,
      { location: machineId === undefined ? "shared" : "machine", machineId, parentId: 0, perPage: 1 },
      callOptions,
    )
      .then((page) => page.storage)
      .catch(() => null);
    throw storage ? withContext(error, { ...context, storage }) : error;
  });
  return read({ operation, context }, () => parseCreatedUpload(body, params.chunkSizeMb));
}

async function createDirectory(
  pipeline: RequestPipeline,
  params: CreateDirectoryParams,
  callOptions?: CallOptions,
) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "create-directory";
  const parentId = requireId(operation, "parent_id", params.parentId, true);
  const machineId =
    params.machineId === undefined ? undefined : requireId(operation, "machine_id", params.machineId);
  if (!params.name?.trim())
    throw invalidInput(operation, "A folder name is needed. Pass one, then try again.");
  const context = { parentId, machineId, name: params.name };
  const body = await request({
    operation,
    method: "POST",
    endpoint: "/files",
    body: {
      file_name: params.name,
      object_type: "directory",
      parent_id: parentId,
      machine_id: machineId,
    },
    context,
    idempotent: false,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () => parseCreatedDirectory(body));
}

async function completeUpload(
  pipeline: RequestPipeline,
  fileId: number,
  parts: CompletedPart[],
  callOptions?: CallOptions,
) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "complete-upload";
  requireId(operation, "file id", fileId);
  if (parts.length === 0)
    throw invalidInput(operation, "No uploaded parts were given. Upload the parts first.");
  // Vagon wants the parts in order; ETags go back exactly as S3 sent them (quotes included).
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  sorted.forEach((part, index) => {
    requireId(operation, "part number", part.partNumber);
    if (index > 0 && sorted[index - 1]?.partNumber === part.partNumber) {
      throw invalidInput(operation, `Part ${part.partNumber} is listed twice. Send each uploaded part once.`);
    }
  });
  const context = { fileId };
  const body = await request({
    operation,
    method: "POST",
    endpoint: `/files/${fileId}/complete`,
    body: { parts: sorted.map((part) => ({ part_number: part.partNumber, etag: part.etag })) },
    context,
    idempotent: false,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () => parseCompletedUpload(body));
}

async function deleteFile(pipeline: RequestPipeline, fileId: number, callOptions?: CallOptions) {
  const { request } = pipeline;
  const operation: VagonOperation = "delete-file";
  requireId(operation, "file id", fileId);
  const answer = await request({
    operation,
    method: "DELETE",
    endpoint: `/files/${fileId}`,
    context: { fileId },
    idempotent: true,
    notFoundAfterAmbiguousIsSuccess: true,
    signal: callOptions?.signal,
  });
  return { alreadyGone: answer === ALREADY_GONE };
}

async function startDownload(
  pipeline: RequestPipeline,
  downloadRequest: DownloadRequest,
  callOptions?: CallOptions,
) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "start-download";
  const given = downloadRequest as { fileIds?: number[]; directoryId?: number; taskId?: number };
  const kinds = (["fileIds", "directoryId", "taskId"] as const).filter((key) => given[key] !== undefined);
  if (kinds.length !== 1) {
    throw invalidInput(
      operation,
      "A download needs exactly one of: a list of file ids, a folder id, or a task id. Send just one of them.",
    );
  }
  let body: Record<string, unknown>;
  const context: ErrorContext = {};
  if (given.fileIds !== undefined) {
    // An empty list goes to Vagon as is: it answers 4722, which is explained like the check above.
    const fileIds = given.fileIds.map((id) => requireId(operation, "file id", id));
    body = { file_ids: fileIds };
    context.fileIds = fileIds;
  } else if (given.directoryId !== undefined) {
    context.directoryId = requireId(operation, "directory_id", given.directoryId);
    body = { directory_id: context.directoryId };
  } else {
    context.taskId = requireId(operation, "task_id", given.taskId);
    body = { task_id: context.taskId };
  }
  const response = await request({
    operation,
    method: "POST",
    endpoint: "/files/download",
    body,
    context,
    // A repeat would start a second zip job.
    idempotent: false,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () => parseDownloadStart(response));
}

async function getDownload(pipeline: RequestPipeline, downloadId: number, callOptions?: CallOptions) {
  const { request, read } = pipeline;
  const operation: VagonOperation = "get-download";
  requireId(operation, "download id", downloadId);
  const context = { downloadId };
  const body = await request({
    operation,
    method: "GET",
    endpoint: `/files/downloads/${downloadId}`,
    context,
    idempotent: true,
    signal: callOptions?.signal,
  });
  return read({ operation, context }, () => parseDownloadJob(body, downloadId));
}

async function abortDownload(pipeline: RequestPipeline, downloadId: number, callOptions?: CallOptions) {
  const { request } = pipeline;
  const operation: VagonOperation = "abort-download";
  requireId(operation, "download id", downloadId);
  await request({
    operation,
    method: "DELETE",
    endpoint: `/files/downloads/${downloadId}`,
    context: { downloadId },
    idempotent: true,
    signal: callOptions?.signal,
  });
}
function operationOf(params: ListFilesParams): VagonOperation {
  if (params.location === "machine") return "list-machine-files";
  if (params.location === "recordings") return "list-recordings";
  return "list-files";
}
