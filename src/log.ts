// Logging for every part of the server. Every record goes to stderr (stdout is the stdio
// protocol channel) and to the process-wide sinks; a record logged while an MCP session's call
// is running (inside withLogScope) also goes to that session's sink, and to no other session.
// Every line passes through redact() first, so secrets and presigned signatures never leave
// the process.
import { AsyncLocalStorage } from "node:async_hooks";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

export type LogSink = (record: LogRecord) => void;

// Which session's call is running: set where a session's messages enter the server, carried by
// Node through every await, timer and callback that call starts, and by nothing else.
const sessionScope = new AsyncLocalStorage<LogSink>();

/**
 * Runs `work` so that what it logs, and what anything it starts logs, also reaches `sink` (a
 * session's MCP log notifications). Records logged outside any scope (start-up, the HTTP
 * transport, refused requests) reach only stderr and the process-wide sinks.
 */
export function withLogScope<T>(sink: LogSink, work: () => T): T {
  return sessionScope.run(sink, work);
}

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /**
   * Adds a process-wide sink that receives every record, whichever session caused it; returns a
   * function that removes it. Never for a session's own output: use withLogScope.
   */
  addSink(sink: LogSink): () => void;
  /** Registers a value that must never appear in any log line (API secret, HTTP token). */
  addSecret(secret: string): void;
  redact(text: string): string;
  readonly level: LogLevel;
}

// Presigned S3 signatures and HMAC signatures in Authorization headers.
const SIGNATURE_PATTERNS: RegExp[] = [
  /(X-Amz-Signature=)[^&\s"']+/gi,
  /(X-Amz-Credential=)[^&\s"']+/gi,
  /(X-Amz-Security-Token=)[^&\s"']+/gi,
  /(HMAC\s+[^:\s]+:)[0-9a-f]{16,}/gi,
];

export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  for (const pattern of SIGNATURE_PATTERNS) out = out.replace(pattern, "$1[redacted]");
  return out;
}

export function createLogger(options: { level?: LogLevel; stderr?: boolean } = {}): Logger {
  const level = options.level ?? "info";
  const threshold = LOG_LEVELS.indexOf(level);
  const secrets = new Set<string>();
  const sinks = new Set<LogSink>();
  if (options.stderr !== false) {
    sinks.add(({ level: recordLevel, message, fields }) => {
      const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      process.stderr.write(`[vagon-files-mcp] ${recordLevel}: ${message}${suffix}\n`);
    });
  }
  const redact = (text: string) => redactText(text, secrets);
  const emit = (recordLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(recordLevel) > threshold) return;
    const safeFields = fields
      ? (JSON.parse(redact(JSON.stringify(fields))) as Record<string, unknown>)
      : undefined;
    const record: LogRecord = { level: recordLevel, message: redact(message), fields: safeFields };
    const sessionSink = sessionScope.getStore();
    for (const sink of sessionSink ? [...sinks, sessionSink] : sinks) {
      try {
        sink(record);
      } catch {
        // A broken sink (closed transport) must not break the caller.
      }
    }
  };
  return {
    level,
    error: (message, fields) => emit("error", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    info: (message, fields) => emit("info", message, fields),
    debug: (message, fields) => emit("debug", message, fields),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
    addSecret(secret) {
      if (secret) secrets.add(secret);
    },
    redact,
  };
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = createLogger({ level: "error", stderr: false });
