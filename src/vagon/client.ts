// The Vagon Files API client: one keep-alive connection pool, one request() that signs, sends,
// retries and maps errors, and one method per documented endpoint. Knows nothing of MCP.
import { type Logger, silentLogger } from "../log.js";
import {
  apiError,
  type ErrorContext,
  effectiveCode,
  explainAbort,
  explainInvalidResponse,
  explainTransportError,
  isTimeoutCode,
  safeServerText,
  VagonError,
  type VagonOperation,
  withContext,
} from "./errors.js";
import { createHttpPool } from "./http.js";
import {
  classifyAnswer,
  isWorthRetrying,
  networkCodeOf,
  PRE_SEND_NETWORK_CODES,
  type RetryAttempt,
  type RetryHints,
  withRetries,
} from "./retry.js";
import {
  describeSchemaError,
  parseCompletedUpload,
  parseCreatedDirectory,
  parseCreatedUpload,
  parseDownloadJob,
  parseDownloadStart,
  parseEnvelope,
  parseFileListPage,
  parseMachineContent,
} from "./schemas.js";
import { signRequest } from "./signing.js";
import type {
  CallOptions,
  CompletedPart,
  CreateDirectoryParams,
  CreateFileParams,
  DownloadRequest,
  ListFilesParams,
  VagonClient,
} from "./types.js";

export interface VagonClientOptions {
  /** e.g. https://api.vagon.io/organization-management/v1; its path is part of every signed path. */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  logger?: Logger;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  connectTimeoutMs?: number;
  /** Time to wait for response headers (default 60 s). */
  headersTimeoutMs?: number;
  /** Longest silence while a body streams (default 60 s). */
  bodyTimeoutMs?: number;
  /** First backoff step; doubles per attempt, with full jitter (default 250 ms). */
  retryBaseDelayMs?: number;
  /** Longest backoff between attempts (default 8 s). */
  maxRetryDelayMs?: number;
  /** Longest Retry-After honoured (default 30 s); longer asks are waited this long. */
  maxRetryAfterMs?: number;
  /** Sockets per origin, enough for parallel part uploads (default 16). */
  connectionsPerOrigin?: number;
}

const USER_AGENT = "vagon-files-mcp";

/** request()'s answer when a retried DELETE found nothing left to delete. */
const ALREADY_GONE = Symbol("already gone");

interface RequestSpec {
  operation: VagonOperation;
  method: "GET" | "POST" | "DELETE";
  /** Path below the API URL, e.g. `/files/12`. */
  endpoint: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  context: ErrorContext;
  /**
   * Safe to send again after an ambiguous failure (the request may have reached Vagon):
   * reads and deletes. Creates and completes are not: a lost answer is surfaced instead.
   */
  idempotent: boolean;
  /** DELETE: a 404 after an attempt that may have gone through means it is already gone. */
  notFoundAfterAmbiguousIsSuccess?: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * One attempt that failed: what the retry engine reads (`status`, `retryAfterMs`, `retryable`,
 * and the network code of `cause`), and how to word it once no attempt is left.
 */
class FailedAttempt extends Error implements RetryHints {
  readonly status?: number | null;
  readonly retryAfterMs?: number | null;
  readonly retryable?: boolean;

  constructor(
    cause: unknown,
    hints: RetryHints,
    readonly toVagonError: (attempts: number) => VagonError,
  ) {
    super("Vagon request attempt failed", { cause });
    Object.assign(this, hints);
  }
}

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
  const logger = options.logger ?? silentLogger;
  logger.addSecret(options.apiSecret);
  const secrets = [options.apiSecret];
  const maxRetries = options.maxRetries ?? 3;
  const headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 250;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;

  let baseUrl: URL;
  try {
    baseUrl = new URL(options.apiUrl);
  } catch {
    throw new TypeError("The Vagon API URL is not a valid URL (check VAGON_API_URL).");
  }
  if (baseUrl.protocol !== "https:" && baseUrl.protocol !== "http:") {
    throw new TypeError("The Vagon API URL must start with https:// (check VAGON_API_URL).");
  }
  const origin = baseUrl.origin;
  const basePath = baseUrl.pathname.replace(/\/+$/, "");
  const host = baseUrl.host;

  // The presigned transfers back off as the API requests do (retry.ts: one backoff).
  const http = createHttpPool(
    {
      connections: options.connectionsPerOrigin ?? 16,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: connectTimeoutMs },
      headersTimeout: headersTimeoutMs,
      bodyTimeout: bodyTimeoutMs,
    },
    { baseDelayMs: retryBaseDelayMs, maxDelayMs: maxRetryDelayMs, maxRetryAfterMs },
  );

  function abortError(spec: RequestSpec): VagonError {
    return new VagonError({
      kind: "aborted",
      operation: spec.operation,
      message: explainAbort(spec.operation, spec.context),
      cause: spec.signal?.reason,
    });
  }

  async function request(spec: RequestSpec): Promise<unknown> {
    const path = `${basePath}${spec.endpoint}`;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const url = `${origin}${path}${search.size > 0 ? `?${search}` : ""}`;
    const bodyText = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let mayHaveReachedServer = false;
    let attempts = 0;

    const attempt = async ({ attempt: attemptNumber }: RetryAttempt): Promise<unknown> => {
      attempts = attemptNumber;
      // A fresh nonce and timestamp every attempt: Vagon rejects a reused nonce.
      const signed = signRequest({
        apiKey: options.apiKey,
        apiSecret: options.apiSecret,
        method: spec.method,
        path,
        body: bodyText ?? "",
      });
      const startedMs = Date.now();
      let status: number;
      let retryAfterHeader: string | string[] | undefined;
      let responseText: string;
      try {
        const response = await http.request(url, {
          method: spec.method,
          headers: {
            authorization: signed.header,
            "content-type": "application/json",
            accept: "application/json",
            "user-agent": USER_AGENT,
          },
          body: bodyText,
          signal: spec.signal,
          headersTimeout: headersTimeoutMs,
          bodyTimeout: bodyTimeoutMs,
        });
        status = response.statusCode;
        retryAfterHeader = response.headers["retry-after"];
        responseText = await response.body.text();
      } catch (error) {
        if (spec.signal?.aborted) throw error;
        const code = networkCodeOf(error) || null;
        // A wrong host name (ENOTFOUND) never left this machine either, but won't resolve on a retry.
        const preSend = code !== null && (PRE_SEND_NETWORK_CODES.has(code) || code === "ENOTFOUND");
        logger.debug("vagon request failed", {
          method: spec.method,
          path: spec.endpoint,
          status: null,
          error: code ?? "unknown",
          attempt: attemptNumber,
          ms: Date.now() - startedMs,
        });
        if (!preSend) mayHaveReachedServer = true;
        throw new FailedAttempt(
          error,
          {},
          (tries) =>
            new VagonError({
              kind: isTimeoutCode(code) ? "timeout" : "network",
              operation: spec.operation,
              // Safe for the caller to repeat only when a repeat can't duplicate anything.
              retryable: isWorthRetrying(error, spec.idempotent),
              message: explainTransportError({
                operation: spec.operation,
                code,
                host,
                context: spec.context,
                timeoutMs:
                  code === "UND_ERR_CONNECT_TIMEOUT"
                    ? connectTimeoutMs
                    : code === "UND_ERR_BODY_TIMEOUT"
                      ? bodyTimeoutMs
                      : headersTimeoutMs,
                attempts: tries,
              }),
              cause: error,
            }),
        );
      }

      logger.debug("vagon request", {
        method: spec.method,
        path: spec.endpoint,
        status,
        attempt: attemptNumber,
        ms: Date.now() - startedMs,
      });
      const body = parseJson(responseText);
      const envelope = parseEnvelope(body);
      const clientCode = envelope.clientCode;
      const success =
        status >= 200 && status < 300 && (clientCode === null || (clientCode >= 200 && clientCode < 300));
      if (success) {
        if (body === undefined && responseText.trim() !== "") {
          throw new VagonError({
            kind: "invalid-response",
            operation: spec.operation,
            status,
            message: explainInvalidResponse(spec.operation, "the body is not JSON", spec.context),
          });
        }
        return body ?? null;
      }

      const code = effectiveCode(status, clientCode);
      if (spec.notFoundAfterAmbiguousIsSuccess && mayHaveReachedServer && code === 404) return ALREADY_GONE;
      // Vagon's own codes (4xxx) are answers too: the classifier never repeats them.
      const answer = classifyAnswer(
        { status: code ?? status, retryAfter: retryAfterHeader },
        spec.idempotent,
      );
      const { retryAfterMs } = answer;
      if (answer.mayHaveBeenProcessed) mayHaveReachedServer = true;
      throw new FailedAttempt(null, { status: code, retryAfterMs, retryable: answer.retry }, (tries) =>
        apiError({
          operation: spec.operation,
          status,
          clientCode,
          serverMessage: safeServerText(envelope.message, secrets),
          context: spec.context,
          retryable: answer.retry,
          retryAfterMs,
          attempts: tries,
        }),
      );
    };

    try {
      return await withRetries(attempt, {
        idempotent: spec.idempotent,
        signal: spec.signal,
        maxAttempts: maxRetries + 1,
        baseDelayMs: retryBaseDelayMs,
        maxDelayMs: maxRetryDelayMs,
        maxRetryAfterMs,
      });
    } catch (error) {
      if (spec.signal?.aborted) throw abortError(spec);
      if (error instanceof FailedAttempt) throw error.toVagonError(attempts);
      throw error;
    }
  }

  /** Runs a response parser; a mismatch becomes an "invalid-response" VagonError. */
  function read<T>(spec: Pick<RequestSpec, "operation" | "context">, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      logger.warn("vagon response did not match the documented shapes", {
        operation: spec.operation,
        detail: describeSchemaError(error),
      });
      throw new VagonError({
        kind: "invalid-response",
        operation: spec.operation,
        status: 200,
        message: explainInvalidResponse(spec.operation, describeSchemaError(error), spec.context),
        cause: error,
      });
    }
  }

  const client: VagonClient = {
    http,

    async listFiles(params: ListFilesParams, callOptions?: CallOptions) {
      const parentId =
        params.parentId === undefined
          ? 0
          : requireId(operationOf(params), "parent_id", params.parentId, true);
      const common = {
        // 0 and "absent" both mean the root in every revision; sending nothing works in both.
        parent_id: parentId > 0 ? parentId : undefined,
        page: params.page === undefined ? undefined : requireId(operationOf(params), "page", params.page),
        per_page:
          params.perPage === undefined
            ? undefined
            : requireId(operationOf(params), "per_page", params.perPage),
        q: params.query?.trim() ? params.query.trim() : undefined,
      };
      const requestedPage = params.page;
      if (params.location === "machine") {
        const operation: VagonOperation = "list-machine-files";
        const machineId = requireId(operation, "machine_id", params.machineId);
        const taskId =
          params.taskId === undefined ? undefined : requireId(operation, "task_id", params.taskId);
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
    },

    async listMachineContent(machineId: number, windowsPath: string, callOptions?: CallOptions) {
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
    },

    async createFile(params: CreateFileParams, callOptions?: CallOptions) {
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
        const storage = await client
          .listFiles(
            { location: machineId === undefined ? "shared" : "machine", machineId, parentId: 0, perPage: 1 },
            callOptions,
          )
          .then((page) => page.storage)
          .catch(() => null);
        throw storage ? withContext(error, { ...context, storage }) : error;
      });
      return read({ operation, context }, () => parseCreatedUpload(body, params.chunkSizeMb));
    },

    async createDirectory(params: CreateDirectoryParams, callOptions?: CallOptions) {
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
    },

    async completeUpload(fileId: number, parts: CompletedPart[], callOptions?: CallOptions) {
      const operation: VagonOperation = "complete-upload";
      requireId(operation, "file id", fileId);
      if (parts.length === 0)
        throw invalidInput(operation, "No uploaded parts were given. Upload the parts first.");
      // Vagon wants the parts in order; ETags go back exactly as S3 sent them (quotes included).
      const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      sorted.forEach((part, index) => {
        requireId(operation, "part number", part.partNumber);
        if (index > 0 && sorted[index - 1]?.partNumber === part.partNumber) {
          throw invalidInput(
            operation,
            `Part ${part.partNumber} is listed twice. Send each uploaded part once.`,
          );
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
    },

    async deleteFile(fileId: number, callOptions?: CallOptions) {
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
    },

    async startDownload(downloadRequest: DownloadRequest, callOptions?: CallOptions) {
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
    },

    async getDownload(downloadId: number, callOptions?: CallOptions) {
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
    },

    async abortDownload(downloadId: number, callOptions?: CallOptions) {
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
    },

    async close() {
      await http.close();
    },
  };
  return client;
}

function operationOf(params: ListFilesParams): VagonOperation {
  if (params.location === "machine") return "list-machine-files";
  if (params.location === "recordings") return "list-recordings";
  return "list-files";
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
