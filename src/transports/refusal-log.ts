// What the HTTP transport says about requests it refused before authentication (foreign Host or
// Origin, no valid token). Everything in such a request is the attacker's text, and there can be
// thousands a second, so: stderr only (these lines are logged outside any session's scope), the
// attacker's part truncated and escaped to printable ASCII, and at most a few lines per interval,
// then one count for the rest.
import type { Logger } from "../log.js";

export const REFUSAL_LOG_INTERVAL_MS = 60_000;
/** Refusals described one by one per interval; the rest are only counted. */
export const REFUSAL_LINES_PER_INTERVAL = 5;
/** Characters of attacker-controlled text kept in a line. */
export const REFUSAL_DETAIL_CHARS = 64;

export interface RefusalLog {
  /** One refused request: `reason` is ours, `detail` the attacker's (a Host, an Origin). */
  refused(reason: string, detail?: string | null): void;
  /** Logs the count still pending and stops the timer. */
  close(): void;
}

/** Printable ASCII only: anything else (control characters, quotes, non-ASCII) as an escape. */
export function quoteUntrusted(text: string, maxChars = REFUSAL_DETAIL_CHARS): string {
  const chars = Array.from(text);
  const kept = chars.slice(0, maxChars).join("");
  const escaped = kept.replace(/[^\x20-\x7e]|["\\]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === "\\") return `\\${char}`;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
  return `"${escaped}"${chars.length > maxChars ? `...(+${chars.length - maxChars} chars)` : ""}`;
}

export function createRefusalLog(
  logger: Logger,
  options: {
    intervalMs?: number;
    linesPerInterval?: number;
    now?: () => number;
    /** What the count line says was refused; default "unauthenticated requests". */
    counted?: string;
  } = {},
): RefusalLog {
  const counted = options.counted ?? "unauthenticated requests";
  const intervalMs = options.intervalMs ?? REFUSAL_LOG_INTERVAL_MS;
  const linesPerInterval = options.linesPerInterval ?? REFUSAL_LINES_PER_INTERVAL;
  const now = options.now ?? Date.now;
  let windowStartMs = now();
  let linesInWindow = 0;
  let suppressed = 0;

  const flush = () => {
    if (suppressed > 0) {
      logger.warn(`refused ${suppressed} more ${counted} in the last ${Math.round(intervalMs / 1000)} s`);
    }
    suppressed = 0;
    linesInWindow = 0;
    windowStartMs = now();
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();

  return {
    refused(reason, detail) {
      if (now() - windowStartMs >= intervalMs) flush();
      if (linesInWindow >= linesPerInterval) {
        suppressed += 1;
        return;
      }
      linesInWindow += 1;
      const shown = detail === undefined ? "" : `: ${detail === null ? "(none)" : quoteUntrusted(detail)}`;
      const more = linesInWindow === linesPerInterval ? " (further refusals are counted, not listed)" : "";
      logger.warn(`refused a request: ${reason}${shown}${more}`);
    },
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
