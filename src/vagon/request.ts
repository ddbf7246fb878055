// The Vagon API's request pipeline: one keep-alive connection pool and one request() that signs,
// sends, retries (retry.ts) and maps failures to VagonErrors, plus read(), which turns a response
// that doesn't match the documented shapes into one. The endpoints are in client.ts.
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
} from "./errors.js";
import { createHttpPool, type HttpPool } from "./http.js";
import {
  type Backoff,
  classifyAnswer,
  isWorthRetrying,
  networkCodeOf,
  PRE_SEND_NETWORK_CODES,
  type RetryHints,
  withRetries,
} from "./retry.js";
import { describeSchemaError, parseEnvelope } from "./schemas.js";
import { signRequest } from "./signing.js";

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
export const ALREADY_GONE = Symbol("already gone");

export interface RequestSpec {
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

export interface RequestPipeline {
  /** The pool, shared with the upload/download engines for presigned URLs. */
  http: HttpPool;
  request(spec: RequestSpec): Promise<unknown>;
  read<T>(spec: Pick<RequestSpec, "operation" | "context">, parse: () => T): T;
}

export function createRequestPipeline(options: VagonClientOptions): RequestPipeline {
  const logger = options.logger ?? silentLogger;
  logger.addSecret(options.apiSecret);
  const settings = pipelineSettings(options, logger);
  const { timeouts } = settings;
  // The presigned transfers back off as the API requests do (retry.ts: one backoff).
  const http = createHttpPool(
    {
      connections: options.connectionsPerOrigin ?? 16,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    },
    settings.backoff,
  );
  return {
    http,
    request: (spec) => request(http, settings, spec),
    read: (spec, parse) => read(settings.logger, spec, parse),
  };
}

/** The options with their defaults filled in: what every request of one pipeline shares. */
interface PipelineSettings {
  apiKey: string;
  apiSecret: string;
  logger: Logger;
  /** Tries in all, the first included. */
  maxAttempts: number;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  backoff: Backoff;
  api: ApiBase;
}

function pipelineSettings(options: VagonClientOptions, logger: Logger): PipelineSettings {
  return {
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    logger,
    maxAttempts: (options.maxRetries ?? 3) + 1,
    timeouts: {
      connectMs: options.connectTimeoutMs ?? 10_000,
      headersMs: options.headersTimeoutMs ?? 60_000,
      bodyMs: options.bodyTimeoutMs ?? 60_000,
    },
    backoff: {
      baseDelayMs: options.retryBaseDelayMs ?? 250,
      maxDelayMs: options.maxRetryDelayMs ?? 8_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    },
    api: apiBase(options.apiUrl),
  };
}

/** One request across its attempts: what is sent each time, and what the attempts so far showed. */
interface RequestRun {
  spec: RequestSpec;
  /** The signed path: the API URL's path, then the endpoint. */
  path: string;
  url: string;
  bodyText: string | undefined;
  /** The attempt under way, 1 for the first. */
  attempt: number;
  /** An attempt may have reached Vagon: for a DELETE, a later 404 means it went through. */
  mayHaveReachedServer: boolean;
}

/** Signs, sends and retries one request (retry.ts); its answer's body, or the VagonError to show. */
async function request(http: HttpPool, settings: PipelineSettings, spec: RequestSpec): Promise<unknown> {
  const run = startRun(settings.api, spec);
  try {
    return await withRetries(
      ({ attempt }) => {
        run.attempt = attempt;
        return attemptOnce(http, settings, run);
      },
      {
        idempotent: spec.idempotent,
        signal: spec.signal,
        maxAttempts: settings.maxAttempts,
        ...settings.backoff,
      },
    );
  } catch (error) {
    if (spec.signal?.aborted) throw abortError(spec);
    if (error instanceof FailedAttempt) throw error.toVagonError(run.attempt);
    throw error;
  }
}

function startRun(api: ApiBase, spec: RequestSpec): RequestRun {
  const path = `${api.basePath}${spec.endpoint}`;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value !== undefined) search.set(key, String(value));
  }
  return {
    spec,
    path,
    url: `${api.origin}${path}${search.size > 0 ? `?${search}` : ""}`,
    bodyText: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    attempt: 0,
    mayHaveReachedServer: false,
  };
}

/** What came back from one attempt, before it is read. */
interface RawAnswer {
  status: number;
  retryAfter: string | string[] | undefined;
  text: string;
}

/** One attempt: signed afresh, sent, and its answer read; throws a FailedAttempt for the engine. */
async function attemptOnce(http: HttpPool, settings: PipelineSettings, run: RequestRun): Promise<unknown> {
  const { spec } = run;
  const authorization = authorizationHeader(settings, run);
  const startedMs = Date.now();
  let answer: RawAnswer;
  try {
    answer = await send(http, settings, run, authorization);
  } catch (error) {
    if (spec.signal?.aborted) throw error;
    throw noAnswer(settings, run, error, startedMs);
  }
  settings.logger.debug("vagon request", {
    method: spec.method,
    path: spec.endpoint,
    status: answer.status,
    attempt: run.attempt,
    ms: Date.now() - startedMs,
  });
  return readAnswer(settings, run, answer);
}

async function send(
  http: HttpPool,
  settings: PipelineSettings,
  run: RequestRun,
  authorization: string,
): Promise<RawAnswer> {
  const { spec } = run;
  const response = await http.request(run.url, {
    method: spec.method,
    headers: {
      authorization,
      "content-type": "application/json",
      accept: "application/json",
      "user-agent": USER_AGENT,
    },
    body: run.bodyText,
    signal: spec.signal,
    headersTimeout: settings.timeouts.headersMs,
    bodyTimeout: settings.timeouts.bodyMs,
  });
  return {
    status: response.statusCode,
    retryAfter: response.headers["retry-after"],
    text: await response.body.text(),
  };
}

/** A fresh nonce and timestamp every attempt: Vagon rejects a reused nonce. */
function authorizationHeader(settings: PipelineSettings, run: RequestRun): string {
  return signRequest({
    apiKey: settings.apiKey,
    apiSecret: settings.apiSecret,
    method: run.spec.method,
    path: run.path,
    body: run.bodyText ?? "",
  }).header;
}

/** An attempt that got no answer: logged, and worded once no attempt is left. */
function noAnswer(
  settings: PipelineSettings,
  run: RequestRun,
  error: unknown,
  startedMs: number,
): FailedAttempt {
  const code = networkCodeOf(error) || null;
  // A wrong host name (ENOTFOUND) never left this machine either, but won't resolve on a retry.
  const preSend = code !== null && (PRE_SEND_NETWORK_CODES.has(code) || code === "ENOTFOUND");
  settings.logger.debug("vagon request failed", {
    method: run.spec.method,
    path: run.spec.endpoint,
    status: null,
    error: code ?? "unknown",
    attempt: run.attempt,
    ms: Date.now() - startedMs,
  });
  if (!preSend) run.mayHaveReachedServer = true;
  return new FailedAttempt(error, {}, (tries) => transportError(settings, run.spec, error, code, tries));
}

/**
 * Decodes an answer in either documented shape: a success is a 2xx status whose body, when it
 * carries a `client_code` (the current revision does, the older one may not), carries a 2xx one.
 */
function readAnswer(settings: PipelineSettings, run: RequestRun, answer: RawAnswer): unknown {
  const body = parseJson(answer.text);
  const envelope = parseEnvelope(body);
  const { clientCode } = envelope;
  const { status } = answer;
  if (status >= 200 && status < 300 && (clientCode === null || (clientCode >= 200 && clientCode < 300))) {
    if (body === undefined && answer.text.trim() !== "") {
      throw new VagonError({
        kind: "invalid-response",
        operation: run.spec.operation,
        status,
        message: explainInvalidResponse(run.spec.operation, "the body is not JSON", run.spec.context),
      });
    }
    return body ?? null;
  }
  const code = effectiveCode(status, clientCode);
  if (run.spec.notFoundAfterAmbiguousIsSuccess && run.mayHaveReachedServer && code === 404)
    return ALREADY_GONE;
  throw refusal(settings, run, answer, code, envelope);
}

/** An answer that is not a success: classified by retry.ts, worded once no attempt is left. */
function refusal(
  settings: PipelineSettings,
  run: RequestRun,
  answer: RawAnswer,
  code: number | null,
  envelope: { clientCode: number | null; message: string | null },
): FailedAttempt {
  // Vagon's own codes (4xxx) are answers too: the classifier never repeats them.
  const verdict = classifyAnswer(
    { status: code ?? answer.status, retryAfter: answer.retryAfter },
    run.spec.idempotent,
  );
  const { retryAfterMs } = verdict;
  if (verdict.mayHaveBeenProcessed) run.mayHaveReachedServer = true;
  return new FailedAttempt(null, { status: code, retryAfterMs, retryable: verdict.retry }, (tries) =>
    apiError({
      operation: run.spec.operation,
      status: answer.status,
      clientCode: envelope.clientCode,
      serverMessage: safeServerText(envelope.message, [settings.apiSecret]),
      context: run.spec.context,
      retryable: verdict.retry,
      retryAfterMs,
      attempts: tries,
    }),
  );
}

function abortError(spec: RequestSpec): VagonError {
  return new VagonError({
    kind: "aborted",
    operation: spec.operation,
    message: explainAbort(spec.operation, spec.context),
    cause: spec.signal?.reason,
  });
}

/** A request that got no answer, worded once no attempt is left. */
function transportError(
  settings: PipelineSettings,
  spec: RequestSpec,
  error: unknown,
  code: string | null,
  tries: number,
): VagonError {
  const { timeouts } = settings;
  return new VagonError({
    kind: isTimeoutCode(code) ? "timeout" : "network",
    operation: spec.operation,
    // Safe for the caller to repeat only when a repeat can't duplicate anything.
    retryable: isWorthRetrying(error, spec.idempotent),
    message: explainTransportError({
      operation: spec.operation,
      code,
      host: settings.api.host,
      context: spec.context,
      timeoutMs:
        code === "UND_ERR_CONNECT_TIMEOUT"
          ? timeouts.connectMs
          : code === "UND_ERR_BODY_TIMEOUT"
            ? timeouts.bodyMs
            : timeouts.headersMs,
      attempts: tries,
    }),
    cause: error,
  });
}

/** Runs a response parser; a mismatch becomes an "invalid-response" VagonError. */
function read<T>(logger: Logger, spec: Pick<RequestSpec, "operation" | "context">, parse: () => T): T {
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

interface ApiBase {
  origin: string;
  /** The API URL's path without a trailing slash: part of every signed path. */
  basePath: string;
  host: string;
}

/** The API URL's parts every request is built from; refuses one that is not http(s). */
function apiBase(apiUrl: string): ApiBase {
  let baseUrl: URL;
  try {
    baseUrl = new URL(apiUrl);
  } catch {
    throw new TypeError("The Vagon API URL is not a valid URL (check VAGON_API_URL).");
  }
  if (baseUrl.protocol !== "https:" && baseUrl.protocol !== "http:") {
    throw new TypeError("The Vagon API URL must start with https:// (check VAGON_API_URL).");
  }
  return { origin: baseUrl.origin, basePath: baseUrl.pathname.replace(/\/+$/, ""), host: baseUrl.host };
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
