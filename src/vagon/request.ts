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
  classifyAnswer,
  isWorthRetrying,
  networkCodeOf,
  PRE_SEND_NETWORK_CODES,
  type RetryAttempt,
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
  const secrets = [options.apiSecret];
  const maxRetries = options.maxRetries ?? 3;
  const headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 250;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;

  const { origin, basePath, host } = apiBase(options.apiUrl);

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

  /** A request that got no answer, worded once no attempt is left. */
  function transportError(spec: RequestSpec, error: unknown, code: string | null, tries: number): VagonError {
    return new VagonError({
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
        throw new FailedAttempt(error, {}, (tries) => transportError(spec, error, code, tries));
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

  return { http, request, read };
}

/** The API URL's parts every request is built from; refuses one that is not http(s). */
function apiBase(apiUrl: string): { origin: string; basePath: string; host: string } {
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
