// Retry timing and error triage shared by the API client and the transfer engines:
// exponential backoff with full jitter, the Retry-After header, sleeps that end at once when
// the caller aborts, and which network failures are worth another try.

/** Socket-level failures after which the same request may simply be sent again. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

/** An error's message without its final full stop, for embedding in a sentence. */
export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.\s*$/, "");
}

/** Full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffDelayMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfterMs(
  value: string | string[] | undefined,
  nowMs: number = Date.now(),
): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return null;
  return Math.max(0, dateMs - nowMs);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Network failures that happen before a request leaves this machine: safe to resend any method. */
export const PRE_SEND_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The first meaningful network code on an error or its causes (undici wraps the socket's). */
export function networkCodeOf(error: unknown): string {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes.find((code) => code !== "UND_ERR_SOCKET") ?? codes[0] ?? "";
}

/**
 * What a failed attempt may carry to steer the engine. `retryable` overrides the engine's own
 * triage (a caller that knows better, e.g. an S3 `RequestTimeout` in a 400); `status` is the
 * HTTP status when there was an answer; `retryAfterMs` is the server's Retry-After.
 */
export interface RetryHints {
  retryable?: boolean;
  status?: number | null;
  retryAfterMs?: number | null;
}

/** An HTTP answer as the classifier reads it: the status, its Retry-After, and the body's text. */
export interface Answer {
  status: number;
  retryAfter?: string | string[] | undefined;
  /** The error body (S3 sends XML with a `<Code>`); only read for that code. */
  body?: string;
}

/** What an answer that was not a success means for the one who sent the request. */
export interface AnswerClass {
  /** Worth sending the same request again. */
  retry: boolean;
  /** The server's Retry-After in ms (seconds or an HTTP date); null when absent or unreadable. */
  retryAfterMs: number | null;
  /** The error `<Code>` of S3's XML body, null when there is none. */
  s3Code: string | null;
  /** The answer may have come after the work was done (408, a 5xx other than 503). */
  mayHaveBeenProcessed: boolean;
}

/**
 * The one answer classifier. 429 and 503 say "not now" before doing anything, so any request
 * may repeat; 408, other 5xx and S3's RequestTimeout (a 400 for a body that came too slowly) may
 * have happened after the work was done, so only idempotent ones repeat. Any other status,
 * including Vagon's own body codes (4xxx), is an answer: the same request would get it again.
 */
export function classifyAnswer(answer: Answer, idempotent: boolean, nowMs: number = Date.now()): AnswerClass {
  const { status } = answer;
  const s3Code = (answer.body && /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1]) || null;
  const notNow = status === 429 || status === 503;
  const mayHaveBeenProcessed = status === 408 || (status >= 500 && status < 600 && !notNow);
  return {
    retry: notNow || (idempotent && (mayHaveBeenProcessed || s3Code === "RequestTimeout")),
    retryAfterMs: parseRetryAfterMs(answer.retryAfter, nowMs),
    s3Code,
    mayHaveBeenProcessed,
  };
}

/**
 * Whether an attempt that failed with `error` is worth sending again: its own `retryable` when
 * it carries one, else its status through `classifyAnswer`, else its network code. A connection
 * lost mid-way may have done the work, so only idempotent requests repeat; a wrong host name
 * won't start resolving within a few seconds.
 */
export function isWorthRetrying(error: unknown, idempotent: boolean): boolean {
  if (typeof error !== "object" || error === null) return false;
  const hints = error as RetryHints;
  if (typeof hints.retryable === "boolean") return hints.retryable;
  if (typeof hints.status === "number") return classifyAnswer({ status: hints.status }, idempotent).retry;
  const code = networkCodeOf(error);
  if (PRE_SEND_NETWORK_CODES.has(code)) return true;
  return idempotent && RETRYABLE_NETWORK_CODES.has(code);
}

export interface RetryAttempt {
  /** 1 for the first try. */
  attempt: number;
  /** Call when this attempt moved work forward (bytes arrived): the next retry starts at once. */
  markProgress(): void;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: unknown;
}

/**
 * How one client backs off: its API requests and the transfers over its pool (part uploads,
 * downloads, ranged reads) alike. Production keeps the defaults; tests shorten them.
 */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export interface RetryOptions {
  /** May an attempt that possibly reached the server be sent again? (GET, PUT of a part, DELETE.) */
  idempotent: boolean;
  signal?: AbortSignal;
  /** Tries in all, the first included (default 4). An attempt that made progress doesn't count. */
  maxAttempts?: number;
  /**
   * Tries in all, counting those that made progress too (default: no such bound). A download
   * whose every connection breaks after a few bytes gives up here instead of crawling on.
   */
  maxTotalAttempts?: number;
  /** First backoff step; doubles per attempt with full jitter (default 250 ms). */
  baseDelayMs?: number;
  /** Longest backoff (default 8 s). */
  maxDelayMs?: number;
  /** Longest Retry-After honoured (default 30 s); a longer ask is waited this long. */
  maxRetryAfterMs?: number;
  /** Overrides the triage above (still never retries once `signal` aborted). */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (info: RetryInfo) => void;
  /** Seams for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * The one retry engine: runs `attempt` until it succeeds, fails for good, runs out of tries or
 * the signal aborts. Throws the last attempt's error unchanged (the caller words it), or the
 * signal's reason once aborted. Every attempt is a fresh call, so callers re-sign per attempt.
 */
export async function withRetries<T>(
  attempt: (context: RetryAttempt) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const pause = options.sleep ?? sleep;
  const shouldRetry = options.shouldRetry ?? ((error: unknown) => isWorthRetrying(error, options.idempotent));
  // Tries counted since the last one that made progress.
  let fruitlessTries = 0;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    if (options.signal?.aborted) throw options.signal.reason;
    let progressed = false;
    try {
      return await attempt({ attempt: attemptNumber, markProgress: () => (progressed = true) });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      fruitlessTries = progressed ? 0 : fruitlessTries + 1;
      const outOfTries =
        fruitlessTries >= maxAttempts ||
        attemptNumber >= (options.maxTotalAttempts ?? Number.POSITIVE_INFINITY);
      if (outOfTries || !shouldRetry(error)) throw error;
      const retryAfterMs = (error as RetryHints | null)?.retryAfterMs;
      const delayMs = progressed
        ? 0
        : typeof retryAfterMs === "number"
          ? Math.min(retryAfterMs, maxRetryAfterMs)
          : backoffDelayMs(fruitlessTries, baseDelayMs, maxDelayMs, options.random);
      options.onRetry?.({ attempt: attemptNumber, delayMs, error });
      if (delayMs > 0) await pause(delayMs, options.signal);
    }
  }
}
