// VagonError and the table that turns every documented Vagon code (plus transport failures)
// into one paragraph in the user's terms: what happened, and what to do next.
import { redactText } from "../log.js";
import { ShownError } from "../shown-error.js";
import { formatBytes } from "../units.js";

/** The client operation that failed; chooses the wording of codes that mean different things per endpoint. */
export type VagonOperation =
  | "list-files"
  | "list-machine-files"
  | "list-recordings"
  | "list-content"
  | "create-file"
  | "create-directory"
  | "complete-upload"
  | "delete-file"
  | "start-download"
  | "get-download"
  | "abort-download";

/** What failed, for the wording: every field the client knows about the call. */
export interface ErrorContext {
  machineId?: number;
  fileId?: number;
  parentId?: number;
  downloadId?: number;
  directoryId?: number;
  fileIds?: number[];
  taskId?: number;
  path?: string;
  name?: string;
  sizeBytes?: number;
  /** The storage's quota and use, when known (read after a 450, to say both numbers). */
  storage?: { usedBytes: number; totalBytes: number };
}

export type VagonErrorKind =
  /** Vagon answered with an error status or client_code. */
  | "api"
  /** The connection failed (refused, reset, DNS, dropped). */
  | "network"
  /** Vagon did not answer in time. */
  | "timeout"
  /** The caller's AbortSignal fired. */
  | "aborted"
  /** Vagon answered 2xx with a body this client can't read. */
  | "invalid-response"
  /** The call was refused before sending: bad arguments. */
  | "invalid-input";

/** Codes whose meaning lives in the body's client_code and wins over the HTTP status. */
const BODY_CODES = new Set([450, 451, 452, 4110, 4710, 4716, 4717, 4718, 4719, 4720, 4721, 4722]);

/** The code to explain: a Vagon-specific client_code wins over the HTTP status. */
export function effectiveCode(status: number | null, clientCode: number | null): number | null {
  if (clientCode !== null && BODY_CODES.has(clientCode)) return clientCode;
  if (status !== null && status >= 200 && status < 300 && clientCode !== null) return clientCode;
  return status ?? clientCode;
}

export interface VagonErrorInit {
  kind: VagonErrorKind;
  operation: VagonOperation;
  message: string;
  status?: number | null;
  clientCode?: number | null;
  retryable?: boolean;
  retryAfterMs?: number | null;
  /** Vagon's own message, already redacted. */
  serverMessage?: string | null;
  cause?: unknown;
}

export class VagonError extends ShownError {
  readonly kind: VagonErrorKind;
  /** HTTP status, null when no answer arrived. */
  readonly status: number | null;
  /** Vagon's body `client_code` when it carried one other than success. */
  readonly clientCode: number | null;
  readonly retryable: boolean;
  readonly operation: VagonOperation;
  /** Retry-After as Vagon sent it (429/503), in ms. */
  readonly retryAfterMs: number | null;
  readonly serverMessage: string | null;

  constructor(init: VagonErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    // Lets `err.name === "AbortError"` checks (the platform convention) see a cancellation.
    this.name = init.kind === "aborted" ? "AbortError" : "VagonError";
    this.kind = init.kind;
    this.status = init.status ?? null;
    this.clientCode = init.clientCode ?? null;
    this.retryable = init.retryable ?? false;
    this.operation = init.operation;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.serverMessage = init.serverMessage ?? null;
  }

  /** The code the message explains (client_code over HTTP status). */
  get code(): number | null {
    return effectiveCode(this.status, this.clientCode);
  }

  // The cause (an undici error) stays out of serialized forms: only what the message says.
  toJSON() {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      status: this.status,
      clientCode: this.clientCode,
      retryable: this.retryable,
      operation: this.operation,
    };
  }
}

export function isVagonError(error: unknown): error is VagonError {
  return error instanceof VagonError;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

// ------------------------------------------------------------------ wording helpers

const TRY_AGAIN = "wait a minute and try again";

function machine(context: ErrorContext): string {
  return context.machineId === undefined ? "The machine" : `Machine ${context.machineId}`;
}

function fileLabel(context: ErrorContext): string {
  return context.fileId === undefined ? "the file" : `file ${context.fileId}`;
}

function downloadLabel(context: ErrorContext): string {
  return context.downloadId === undefined ? "The zip job" : `Zip job ${context.downloadId}`;
}

function nameLabel(context: ErrorContext, fallback: string): string {
  return context.name ? `"${context.name}"` : fallback;
}

function parentLabel(context: ErrorContext): string {
  if (!context.parentId)
    return context.machineId === undefined ? "the shared root folder" : "the machine's root folder";
  return `folder ${context.parentId}`;
}

function storageLabel(context: ErrorContext): string {
  return context.machineId === undefined
    ? "the organization's shared storage"
    : `machine ${context.machineId}'s storage`;
}

function downloadTarget(context: ErrorContext): string {
  if (context.taskId !== undefined) return `task ${context.taskId}'s outputs`;
  if (context.directoryId !== undefined) return `folder ${context.directoryId}`;
  if (context.fileIds && context.fileIds.length > 0) {
    const shown = context.fileIds.slice(0, 5).join(", ");
    const more = context.fileIds.length > 5 ? ` and ${context.fileIds.length - 5} more` : "";
    return context.fileIds.length === 1 ? `file ${shown}` : `files ${shown}${more}`;
  }
  return "the requested files";
}

/** What the operation was doing, for messages that don't depend on the code. */
export function describeOperation(operation: VagonOperation, context: ErrorContext = {}): string {
  switch (operation) {
    case "list-files":
      return `listing ${parentLabel({ ...context, machineId: undefined })}`;
    case "list-machine-files":
      return context.taskId !== undefined
        ? `listing task ${context.taskId}'s folders on machine ${context.machineId}`
        : `listing ${parentLabel(context)} of machine ${context.machineId}`;
    case "list-recordings":
      return "listing the session recordings";
    case "list-content":
      return `listing ${context.path ?? "a folder"} on machine ${context.machineId}'s disk`;
    case "create-file":
      return `starting the upload of ${nameLabel(context, "the file")}`;
    case "create-directory":
      return `creating the folder ${nameLabel(context, "")}`.trimEnd();
    case "complete-upload":
      return `completing the upload of ${fileLabel(context)}`;
    case "delete-file":
      return `deleting ${fileLabel(context)}`;
    case "start-download":
      return `preparing the download of ${downloadTarget(context)}`;
    case "get-download":
      return `checking ${downloadLabel(context).toLowerCase()}`;
    case "abort-download":
      return `cancelling ${downloadLabel(context).toLowerCase()}`;
  }
}

const LIST_OPERATIONS: ReadonlySet<VagonOperation> = new Set([
  "list-files",
  "list-machine-files",
  "list-recordings",
]);

// ------------------------------------------------------------------ the code table

function explain400(operation: VagonOperation, context: ErrorContext, serverMessage: string | null): string {
  switch (operation) {
    case "list-content":
      // The docs name "machine is not running" for 400, but a 400 also answers a path that is a
      // file or malformed: say what Vagon said.
      if (serverMessage && !/not running/i.test(serverMessage)) {
        return /\bis a file\b|not a (folder|directory)/i.test(serverMessage)
          ? `${context.path ?? "That path"} on ${machine(context)}'s disk is a file, not a folder, so it can't be listed. List its parent folder instead.`
          : `Vagon refused ${describeOperation(operation, context)}: ${serverMessage.replace(/\.\s*$/, "")}. Check the path (a Windows folder such as C:\\Users), then try again.`;
      }
      return `${machine(context)} is not running, so its disk can't be listed. Start it in Vagon, then try again.`;
    case "list-files":
    case "list-machine-files":
    case "list-recordings":
      return `Vagon rejected the request while ${describeOperation(operation, context)}: the folder id, page or search is not valid. List the root folder (parent_id 0) to get current folder ids, keep page and per_page positive, then try again.`;
    case "create-file":
    case "create-directory":
      return `Vagon refused ${describeOperation(operation, context)} in ${parentLabel(context)}: the request was not valid, most often because that parent folder doesn't exist any more or is not a folder. List the parent folder to get a valid parent_id (0 = root), then try again.`;
    case "complete-upload":
      return `Vagon refused ${describeOperation(operation, context)}: the list of uploaded parts was not accepted or the file entry no longer exists. Upload the file again from the start.`;
    case "delete-file":
      return `Vagon refused the request to delete ${fileLabel(context)} as invalid. Check the id by listing its folder, then try again.`;
    case "start-download":
      return `Vagon refused ${describeOperation(operation, context)}: the ids are not valid. List the folder to get current file or folder ids, then try again.`;
    case "get-download":
      return `Vagon refused the request for ${downloadLabel(context).toLowerCase()} as invalid. Check the download id (it is the number returned when the download was started), then try again.`;
    case "abort-download":
      return `${downloadLabel(context)} can't be cancelled: Vagon refused the request, usually because the job is no longer pending or processing. Check the job's status; if it finished, its link can still be used until it expires.`;
  }
}

function explain404(operation: VagonOperation, context: ErrorContext, serverMessage: string | null): string {
  switch (operation) {
    case "list-files":
      return context.parentId
        ? `Folder ${context.parentId} was not found in the shared storage; it may have been deleted or moved. List the shared root folder (parent_id 0) to find the current folder id.`
        : "The organization's shared root folder was not found. Check that the API key belongs to the right organization, then try again.";
    case "list-machine-files":
      if (context.taskId !== undefined) {
        return `Task ${context.taskId} was not found on machine ${context.machineId}, or the machine doesn't belong to this organization. Check the task id and the machine it ran on, then try again.`;
      }
      return context.parentId
        ? `Folder ${context.parentId} was not found in machine ${context.machineId}'s storage, or the machine doesn't belong to this organization. List the machine's root folder (parent_id 0) to get current folder ids.`
        : `${machine(context)} was not found in this organization. Check the machine id in Vagon, then try again.`;
    case "list-recordings":
      return context.parentId
        ? `Recordings folder ${context.parentId} was not found; it may have been deleted. List the recordings root (parent_id 0) to find current folder ids.`
        : `No session recordings were found${context.machineId === undefined ? "" : ` for machine ${context.machineId}`}. Check the machine id, or list the recordings without a machine filter.`;
    case "list-content":
      // Vagon answers 404 both for an unknown machine and for a path missing on its disk.
      return context.path && !/^machine\b/i.test(serverMessage ?? "")
        ? `Nothing was found at ${context.path} on ${machine(context)}'s disk (or the machine isn't in this organization). List a parent folder such as C:\\ to find the right path, or check the machine id in Vagon.`
        : `${machine(context)} was not found or doesn't belong to this organization, so its disk can't be listed. Check the machine id in Vagon, then try again.`;
    case "create-file":
    case "create-directory":
      return context.machineId === undefined
        ? `Vagon couldn't find where to put ${nameLabel(context, "the new entry")}: ${parentLabel(context)} was not found. List the parent folder to get a valid parent_id (0 = root), then try again.`
        : `${machine(context)} was not found in this organization, so nothing was created. Check the machine id in Vagon, then try again.`;
    case "complete-upload":
      return `${capitalize(fileLabel(context))} was not found, so its upload can't be completed: the entry was deleted or belongs to another organization. Upload the file again from the start.`;
    case "delete-file":
      return `${capitalize(fileLabel(context))} was not found: it may already be deleted, or it belongs to another organization. List its folder to check what is there.`;
    case "start-download":
      return `Vagon couldn't find ${downloadTarget(context)} to download; it may have been deleted or belong to another organization. List the folder to get current ids, then try again.`;
    case "get-download":
      return `${downloadLabel(context)} was not found: zip downloads expire 24 hours after they are created, and ids belong to one organization. Start the download again.`;
    case "abort-download":
      return `${downloadLabel(context)} was not found or has already expired, so there is nothing to cancel. Check the download id; a download that no longer exists needs no cancelling.`;
  }
}

function explain450(operation: VagonOperation, context: ErrorContext): string {
  switch (operation) {
    case "delete-file":
      return `${capitalize(fileLabel(context))} is a root folder, and root folders can't be deleted. Delete the files and folders inside it instead.`;
    case "complete-upload":
      return `The upload of ${fileLabel(context)} went over the storage limit, so Vagon deleted it. Free up space by deleting files you no longer need (or raise the storage plan in Vagon), then upload it again.`;
    default: {
      const size = context.sizeBytes === undefined ? "" : ` (${formatBytes(context.sizeBytes)})`;
      if (context.storage && context.sizeBytes !== undefined) {
        // "Full" at 7.4 of 25 GB reads as a bug: the file is bigger than what is free.
        const { usedBytes, totalBytes } = context.storage;
        const freeBytes = Math.max(0, totalBytes - usedBytes);
        return `Not enough space: ${nameLabel(context, "the file")}${size} is bigger than what is free in ${storageLabel(context)} (${formatBytes(freeBytes) || "0 bytes"} free: ${formatBytes(usedBytes) || "0 bytes"} of ${formatBytes(totalBytes)} used). Free up at least ${formatBytes(Math.max(1, context.sizeBytes - freeBytes))} by deleting files you no longer need (storage_usage shows where the space goes), or raise the storage plan in Vagon, then try again.`;
      }
      return `Not enough space: ${storageLabel(context)} is full, so ${nameLabel(context, "the file")}${size} can't be stored. Free up space by deleting files you no longer need, or raise the storage plan in Vagon, then try again.`;
    }
  }
}

function explain451(operation: VagonOperation, context: ErrorContext): string {
  const where = parentLabel(context);
  if (operation === "create-directory") {
    return `A file or folder named ${nameLabel(context, "like that")} already exists in ${where}. Use the existing folder (list ${where} to find its id) or choose another name.`;
  }
  return `A file named ${nameLabel(context, "like that")} already exists in ${where}. Choose another name, or upload again with overwrite enabled to replace it.`;
}

function explain452(context: ErrorContext): string {
  return `The bytes uploaded for ${fileLabel(context)} don't add up to the size declared when the upload started, so Vagon deleted the file. Upload it again, sending every part in full (each part exactly the chunk size, the last one the remainder).`;
}

function explain4710(operation: VagonOperation, context: ErrorContext): string {
  if (operation === "start-download") {
    return `Downloading ${downloadTarget(context)} as one zip needs Vagon's "multiple file download" feature, which is not enabled for this organization. Download the files one at a time, or ask Vagon support to enable multiple file downloads.`;
  }
  return `Vagon denied permission for ${describeOperation(operation, context)}. The API key's organization lacks the permission this needs; check the key and its organization's plan and permissions in the Vagon dashboard (Settings), then try again.`;
}

function explain401(serverMessage: string | null): string {
  const said = serverMessage?.toLowerCase() ?? "";
  if (/timestamp|clock|skew|expired|time window|too old|in the future/.test(said)) {
    return "Vagon rejected the request's timestamp: this computer's clock seems to be off by more than 5 minutes. Fix the system clock (turn on automatic time synchronization), then try again.";
  }
  if (/nonce|replay/.test(said)) {
    return "Vagon rejected the request as a replay (its one-time nonce was already used). Try again; if it keeps happening, make sure the system clock is correct.";
  }
  return "Vagon rejected the API credentials. Check VAGON_API_KEY and VAGON_API_SECRET (copy both again from the Settings tab of the Vagon dashboard), then restart the server.";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The same answer explained again with more context (e.g. the storage read after a 450). */
export function withContext(error: VagonError, context: ErrorContext): VagonError {
  return new VagonError({
    kind: error.kind,
    operation: error.operation,
    status: error.status,
    clientCode: error.clientCode,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    serverMessage: error.serverMessage,
    message: explainApiError({
      operation: error.operation,
      status: error.status,
      clientCode: error.clientCode,
      serverMessage: error.serverMessage,
      retryAfterMs: error.retryAfterMs,
      context,
    }),
  });
}

/** One paragraph for an answer Vagon gave: cause in the user's terms, then the next step. */
export function explainApiError(input: {
  operation: VagonOperation;
  status: number | null;
  clientCode: number | null;
  context?: ErrorContext;
  serverMessage?: string | null;
  retryAfterMs?: number | null;
  attempts?: number;
}): string {
  const context = input.context ?? {};
  const { operation } = input;
  const code = effectiveCode(input.status, input.clientCode);
  const doing = describeOperation(operation, context);
  switch (code) {
    case 400:
      return explain400(operation, context, input.serverMessage ?? null);
    case 401:
      return explain401(input.serverMessage ?? null);
    case 403:
      return operation === "list-recordings"
        ? `Access to the session recordings was refused${context.machineId === undefined ? "" : ` for machine ${context.machineId}`}. The API key's organization may not have access to recordings; check its permissions in the Vagon dashboard (Settings), then try again.`
        : `Vagon refused access while ${doing}. Check that the API key belongs to this organization and has access to Files (Vagon dashboard, Settings), then try again.`;
    case 404:
      return explain404(operation, context, input.serverMessage ?? null);
    case 450:
      return explain450(operation, context);
    case 451:
      return explain451(operation, context);
    case 452:
      return explain452(context);
    case 4110:
      return "The organization's Vagon subscription is not active, so the Files API can't be used. Renew or reactivate the subscription in the Vagon dashboard, then try again.";
    case 4710:
      return explain4710(operation, context);
    case 4716:
      return `${downloadLabel(context)} can't be cancelled because it has already finished, failed or been cancelled. Check its status; if it finished, its link can still be used until it expires.`;
    case 4717:
      return `Vagon couldn't find ${downloadTarget(context)} to download; it may have been deleted. List the folder again to get current ids, then try again.`;
    case 4718:
      return `Some of ${downloadTarget(context)} were not found or haven't finished uploading, so the zip can't be made. List the folder to check which files exist, leave out the missing ids, then try again.`;
    case 4719:
      return context.taskId !== undefined
        ? `Task ${context.taskId} has no finished output files or recordings yet, so there is nothing to bundle. Wait for the task to produce its outputs, then try again.`
        : `${capitalize(downloadTarget(context))} is empty or has no completely uploaded files, so there is nothing to zip. List it to check its contents (uploads still in progress don't count), then try again.`;
    case 4720:
      return `Vagon failed to generate the download link for ${downloadTarget(context)}. This is usually temporary: ${TRY_AGAIN}.`;
    case 4722:
      return "A download needs exactly one of: a list of file ids, a folder id, or a task id, and this request had none or more than one. Send just one of them.";
    case 429: {
      const wait =
        input.retryAfterMs && input.retryAfterMs > 0
          ? `wait ${seconds(input.retryAfterMs)}`
          : "wait a minute";
      return `Vagon is rate-limiting requests and kept refusing while ${doing}${attemptsText(input.attempts)}. Make fewer calls at once: ${wait}, then try again.`;
    }
    default:
      break;
  }
  const status = code ?? 0;
  if (status >= 500) {
    const unknownOutcome =
      operation === "create-file" || operation === "create-directory"
        ? " It is not known whether the entry was created: list the folder before trying again, to avoid a duplicate."
        : operation === "complete-upload"
          ? " It is not known whether the upload was completed: list the folder to check before uploading again."
          : "";
    return `Vagon's API had a server error (HTTP ${status}) while ${doing}${attemptsText(input.attempts)}.${unknownOutcome} This is usually temporary: ${TRY_AGAIN}.`;
  }
  const said = input.serverMessage ? ` Vagon said: "${truncate(input.serverMessage, 200)}".` : "";
  const codeText =
    input.clientCode !== null && input.clientCode !== input.status ? `, code ${input.clientCode}` : "";
  const next = LIST_OPERATIONS.has(operation)
    ? "Check the folder id and filters, then try again."
    : "Check the ids and inputs, then try again.";
  return `Vagon refused ${doing} (HTTP ${input.status ?? "error"}${codeText}).${said} ${next}`;
}

function seconds(ms: number): string {
  const count = Math.max(1, Math.ceil(ms / 1000));
  return `${count} second${count === 1 ? "" : "s"}`;
}

function attemptsText(attempts: number | undefined): string {
  return attempts && attempts > 1 ? ` (${attempts} attempts)` : "";
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

export function isTimeoutCode(code: string | null): boolean {
  return code !== null && TIMEOUT_CODES.has(code);
}

/** One paragraph for a request that got no answer. */
export function explainTransportError(input: {
  operation: VagonOperation;
  code: string | null;
  host: string;
  context?: ErrorContext;
  timeoutMs?: number | null;
  attempts?: number;
}): string {
  const doing = describeOperation(input.operation, input.context);
  const attempts = attemptsText(input.attempts);
  const ambiguous =
    input.operation === "create-file" ||
    input.operation === "create-directory" ||
    input.operation === "complete-upload"
      ? " The request may have reached Vagon: list the folder to check before trying again."
      : "";
  if (isTimeoutCode(input.code)) {
    const within = input.timeoutMs ? ` within ${seconds(input.timeoutMs)}` : " in time";
    const phase = input.code === "UND_ERR_CONNECT_TIMEOUT" ? "accept the connection" : "answer";
    return `Vagon (${input.host}) didn't ${phase}${within} while ${doing}${attempts}.${input.code === "UND_ERR_CONNECT_TIMEOUT" ? "" : ambiguous} Check the network connection, then try again.`;
  }
  switch (input.code) {
    case "ECONNREFUSED":
      return `Couldn't connect to Vagon at ${input.host}: the connection was refused${attempts}. Check VAGON_API_URL and that the network (or proxy) lets this computer reach it, then try again.`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `Couldn't look up Vagon's address ${input.host} (DNS)${attempts}. Check the internet connection and VAGON_API_URL, then try again.`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `Couldn't reach Vagon at ${input.host}: the network is unreachable${attempts}. Check the internet connection, then try again.`;
    case "ECONNRESET":
    case "EPIPE":
      return `The connection to Vagon (${input.host}) was reset while ${doing}${attempts}.${ambiguous} Check the network connection, then try again.`;
    default:
      return `The connection to Vagon (${input.host}) failed while ${doing}${attempts}.${ambiguous} Check the network connection, then try again.`;
  }
}

export function explainAbort(operation: VagonOperation, context?: ErrorContext): string {
  return `The request was cancelled before Vagon finished ${describeOperation(operation, context)}.`;
}

export function explainInvalidResponse(
  operation: VagonOperation,
  detail: string,
  context?: ErrorContext,
): string {
  return `Vagon answered ${describeOperation(operation, context)} with a response this client doesn't understand (${truncate(detail, 160)}). Try again; if it keeps happening, update vagon-files-mcp, since the API may have changed.`;
}

/** Server-provided text, safe to keep: secrets and presigned signatures removed, bounded length. */
export function safeServerText(text: string | null | undefined, secrets: Iterable<string>): string | null {
  if (!text) return null;
  return truncate(redactText(text, secrets), 500);
}

/** Builds the VagonError for an answer Vagon gave (HTTP status + body code). */
export function apiError(input: {
  operation: VagonOperation;
  status: number;
  clientCode: number | null;
  serverMessage: string | null;
  context?: ErrorContext;
  retryable: boolean;
  retryAfterMs?: number | null;
  attempts?: number;
}): VagonError {
  return new VagonError({
    kind: "api",
    operation: input.operation,
    status: input.status,
    clientCode: input.clientCode,
    retryable: input.retryable,
    retryAfterMs: input.retryAfterMs ?? null,
    serverMessage: input.serverMessage,
    message: explainApiError(input),
  });
}
