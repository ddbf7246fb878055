// The HTTP front of the sandbox: routes, fault injection (decided before anything else, so a
// faulted request changes no state and a client retry is safe), HMAC auth for API routes,
// JSON answers and the request log.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../log.js";
import type { ApiRequest, ApiResponse, FilesApi } from "./api.js";
import { ApiError } from "./errors.js";
import type { FaultDecision, FaultInjector } from "./faults.js";
import { handleObjectGet, handlePartPut, S3_PATH_PREFIX, type S3HandlerDeps, sendS3Error } from "./s3.js";
import { errorBody } from "./shapes.js";
import type { SignatureChecker } from "./signing-check.js";
import type { RecordedRequest, SandboxRoute } from "./types.js";

type AnsweringFault = Extract<FaultDecision, { kind: "rateLimit429" | "error5xx" | "forbidden" }>;

/** The compiler's check that every fault kind has a case; reached only by a kind it doesn't know. */
function unhandledFault(fault: never): never {
  throw new Error(`Sandbox fault kind ${(fault as FaultDecision).kind} has no handling`);
}

export const API_BASE_PATH = "/organization-management/v1";
const MAX_API_BODY_BYTES = 1024 * 1024;
/** The request log keeps the most recent entries only, so a long-running sandbox stays small. */
const MAX_RECORDED_REQUESTS = 50_000;

interface ApiRoute {
  method: string;
  pattern: RegExp;
  route: SandboxRoute;
  handle: (api: FilesApi, request: ApiRequest) => ApiResponse;
}

const API_ROUTES: ApiRoute[] = [
  {
    method: "POST",
    pattern: /^\/machines\/([^/]+)\/list-content$/,
    route: "list-content",
    handle: (api, r) => api.listContent(r),
  },
  { method: "GET", pattern: /^\/files$/, route: "list-files", handle: (api, r) => api.listShared(r) },
  { method: "POST", pattern: /^\/files$/, route: "create", handle: (api, r) => api.create(r) },
  {
    method: "GET",
    pattern: /^\/files\/recordings$/,
    route: "list-recordings",
    handle: (api, r) => api.listRecordings(r),
  },
  {
    method: "GET",
    pattern: /^\/machines\/([^/]+)\/files$/,
    route: "list-machine-files",
    handle: (api, r) => api.listMachineFiles(r),
  },
  { method: "POST", pattern: /^\/files\/download$/, route: "download", handle: (api, r) => api.download(r) },
  {
    method: "POST",
    pattern: /^\/files\/([^/]+)\/complete$/,
    route: "complete",
    handle: (api, r) => api.complete(r),
  },
  {
    method: "GET",
    pattern: /^\/files\/downloads\/([^/]+)$/,
    route: "download-status",
    handle: (api, r) => api.downloadStatus(r),
  },
  {
    method: "DELETE",
    pattern: /^\/files\/downloads\/([^/]+)$/,
    route: "download-abort",
    handle: (api, r) => api.abortDownload(r),
  },
  { method: "DELETE", pattern: /^\/files\/([^/]+)$/, route: "delete", handle: (api, r) => api.delete(r) },
];

/** HTTP reason phrases for Vagon's own statuses (Node only knows 451 as a legal block). */
const REASON_PHRASES: Record<number, string> = {
  450: "Storage Full",
  451: "File Already Exists",
  452: "File Size Mismatch",
};

export interface ServerDeps {
  api: FilesApi;
  s3: S3HandlerDeps;
  faults: FaultInjector;
  checker: SignatureChecker;
  requests: RecordedRequest[];
  clock: () => number;
  logger: Logger;
  /** Aborted on close: ends injected latency waits. */
  closing: AbortSignal;
}

type Matched =
  | { kind: "api"; route: SandboxRoute; definition: ApiRoute; params: string[] }
  | { kind: "s3-put"; route: SandboxRoute }
  | { kind: "s3-get"; route: SandboxRoute }
  | null;

function matchRoute(method: string, path: string): Matched {
  if (path.startsWith(S3_PATH_PREFIX)) {
    if (method === "PUT") return { kind: "s3-put", route: "s3-put" };
    if (method === "GET" || method === "HEAD") return { kind: "s3-get", route: "s3-get" };
    return null;
  }
  if (!path.startsWith(`${API_BASE_PATH}/`)) return null;
  const endpoint = path.slice(API_BASE_PATH.length);
  for (const definition of API_ROUTES) {
    if (definition.method !== method) continue;
    const match = definition.pattern.exec(endpoint);
    if (match) return { kind: "api", route: definition.route, definition, params: match.slice(1) };
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_API_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** One request in flight: what was asked, where the answer goes, and its entry in the request log. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  entry: RecordedRequest;
  method: string;
  path: string;
  query: URLSearchParams;
}

function recordRequest(requests: RecordedRequest[], entry: RecordedRequest): void {
  requests.push(entry);
  if (requests.length > MAX_RECORDED_REQUESTS + 5_000) requests.splice(0, 5_000);
}

function sendJson(
  res: ServerResponse,
  entry: RecordedRequest,
  status: number,
  body: Record<string, unknown>,
  headers = {},
): void {
  entry.status = status;
  const clientCode = typeof body.client_code === "number" ? body.client_code : null;
  entry.clientCode = clientCode !== null && clientCode !== status ? clientCode : null;
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, REASON_PHRASES[status] ?? undefined, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/** An answer a fault gives instead of the route's: 429, a 5xx or a 403, in the route's dialect. */
function sendFault(
  res: ServerResponse,
  entry: RecordedRequest,
  isS3: boolean,
  fault: AnsweringFault,
  clock: () => number,
) {
  const report = (s: number) => (entry.status = s);
  switch (fault.kind) {
    case "rateLimit429": {
      const headers = { "Retry-After": String(fault.retryAfterSeconds) };
      if (isS3) return sendS3Error(res, report, 429, "SlowDown", "Please reduce your request rate.", headers);
      return sendJson(res, entry, 429, errorBody(429, "Too many requests, retry later", clock()), headers);
    }
    case "error5xx": {
      const status = fault.status;
      const message =
        status === 503
          ? "Service temporarily unavailable"
          : status === 502
            ? "Bad gateway"
            : "Internal server error";
      if (isS3)
        return sendS3Error(
          res,
          report,
          status,
          status === 503 ? "ServiceUnavailable" : "InternalError",
          message,
        );
      return sendJson(res, entry, status, errorBody(status, message, clock()));
    }
    case "forbidden":
      if (isS3) return sendS3Error(res, report, 403, "AccessDenied", "Access Denied");
      return sendJson(res, entry, 403, errorBody(403, "Forbidden", clock()));
    default:
      return unhandledFault(fault);
  }
}

/**
 * What a fault does before the route is served: "answered" when it answered (or dropped) the
 * request itself, "serve" when the route runs next. Every kind has a case: a new kind that
 * nothing handles fails to compile instead of silently doing nothing.
 */
async function faultBeforeServing(
  deps: ServerDeps,
  exchange: Exchange,
  isS3: boolean,
  fault: FaultDecision,
): Promise<"answered" | "serve"> {
  switch (fault.kind) {
    case "drop":
      exchange.req.socket.destroy();
      return "answered";
    case "rateLimit429":
    case "error5xx":
    case "forbidden":
      sendFault(exchange.res, exchange.entry, isS3, fault, deps.clock);
      return "answered";
    case "latency":
      try {
        await delay(fault.latencyMs, undefined, { signal: deps.closing });
        return "serve";
      } catch {
        return "answered";
      }
    // Acted on while serving: an S3 body cut short (handleObjectGet), an answer computed and then
    // lost (serveApi, after the route's handler ran).
    case "truncate":
    case "lostAnswer":
      return "serve";
    default:
      return unhandledFault(fault);
  }
}

/** The request's method, path and query, split from its raw target; recorded in the log. */
function openExchange(
  requests: RecordedRequest[],
  req: IncomingMessage,
  res: ServerResponse,
): { exchange: Exchange; matched: Matched } {
  const method = (req.method ?? "GET").toUpperCase();
  const rawUrl = req.url ?? "/";
  const queryStart = rawUrl.indexOf("?");
  const path = queryStart >= 0 ? rawUrl.slice(0, queryStart) : rawUrl;
  const query = new URLSearchParams(queryStart >= 0 ? rawUrl.slice(queryStart + 1) : "");
  const matched = matchRoute(method, path);
  const entry: RecordedRequest = {
    method,
    route: matched?.route ?? "unknown",
    path,
    status: 0,
    clientCode: null,
    fault: null,
  };
  recordRequest(requests, entry);
  return { exchange: { req, res, entry, method, path, query }, matched };
}

async function handleRequest(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { exchange, matched } = openExchange(deps.requests, req, res);
  try {
    await serve(deps, exchange, matched);
  } catch (error) {
    deps.logger.error("sandbox request failed", { path: exchange.path, error: String(error) });
    if (!res.headersSent && !res.destroyed) {
      sendJson(res, exchange.entry, 500, errorBody(500, "Internal sandbox error", deps.clock()));
    } else {
      res.destroy();
    }
  }
}

/** Faults first (before auth and before any state change), then the S3 handlers or the API route. */
async function serve(deps: ServerDeps, exchange: Exchange, matched: Matched): Promise<void> {
  const { req, res, entry, method, path, query } = exchange;
  if (!matched)
    return sendJson(res, entry, 404, errorBody(404, `No route for ${method} ${path}`, deps.clock()));

  const rangeStart = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ""))?.[1];
  const fault = deps.faults.pick(matched.route, {
    path,
    rangeStart: rangeStart === undefined ? null : Number(rangeStart),
  });
  if (fault) entry.fault = fault.kind;
  if (fault && (await faultBeforeServing(deps, exchange, matched.kind !== "api", fault)) === "answered")
    return;

  const report = (status: number) => {
    entry.status = status;
  };
  if (matched.kind === "s3-put") return handlePartPut(deps.s3, req, res, path, query, report);
  if (matched.kind === "s3-get") {
    return handleObjectGet(deps.s3, req, res, path, query, {
      truncate: fault?.kind === "truncate",
      report,
    });
  }
  return serveApi(deps, exchange, matched, fault);
}

type ApiMatch = Extract<Matched, { kind: "api" }>;

/** An API route: bounded body, HMAC auth, JSON object body, then the handler's answer or its ApiError. */
async function serveApi(
  deps: ServerDeps,
  exchange: Exchange,
  matched: ApiMatch,
  fault: FaultDecision | null,
): Promise<void> {
  const { req, res, entry, method, path, query } = exchange;
  const body = await readBody(req);
  if (body === null) return sendJson(res, entry, 413, errorBody(413, "Request body too large", deps.clock()));
  const verdict = deps.checker.verify({
    method,
    path,
    authorization: req.headers.authorization,
    body,
  });
  if (!verdict.ok) return sendJson(res, entry, 401, errorBody(401, verdict.message, deps.clock()));

  const parsed = parseJsonObject(body, method);
  if (parsed === null)
    return sendJson(res, entry, 400, errorBody(400, "Request body must be a JSON object", deps.clock()));
  try {
    const response = matched.definition.handle(deps.api, { params: matched.params, query, body: parsed });
    if (fault?.kind === "lostAnswer") {
      entry.status = response.status;
      req.socket.destroy();
      return;
    }
    sendJson(res, entry, response.status, response.body);
  } catch (error) {
    if (error instanceof ApiError) {
      return sendJson(res, entry, error.httpStatus, errorBody(error.clientCode, error.message, deps.clock()));
    }
    throw error;
  }
}

/** The body as a JSON object; {} when GET, DELETE or empty; null when it isn't a JSON object. */
function parseJsonObject(body: Buffer, method: string): Record<string, unknown> | null {
  if (body.length === 0 || method === "GET" || method === "DELETE") return {};
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    return value as Record<string, unknown>;
  } catch {
    return null;
  }
}

export function createRequestListener(deps: ServerDeps): RequestListener {
  return (req, res) => {
    void handleRequest(deps, req, res);
  };
}
