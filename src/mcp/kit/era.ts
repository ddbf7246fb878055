// Which protocol era a server instance serves. The SDK pins each instance to one: a 2026-07-28
// request gets a fresh instance that knows its revision from the request itself; an `initialize`
// session negotiates a 2025 revision for its whole life.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequiredResult,
  type LoggingLevel,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { LogLevel, LogSink } from "../../log.js";

export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/** 2026-07-28: no server→client requests (elicitation, roots); input comes as input_required. */
export function isModernEra(server: McpServer): boolean {
  const version = server.server.getNegotiatedProtocolVersion();
  return version !== undefined && version >= MODERN_PROTOCOL_VERSION;
}

/**
 * What the client can do: a 2026-07-28 request says it in its own _meta (over stdio one server
 * serves every request of the connection, so only the request knows); a session said it once.
 */
export function clientCapabilities(server: McpServer, ctx: ServerContext): ClientCapabilities | undefined {
  if (!isModernEra(server)) return server.server.getClientCapabilities();
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

/** Our levels in MCP's syslog vocabulary ("warn" is spelled "warning" there). */
export const MCP_LOG_LEVEL: Record<LogLevel, LoggingLevel> = {
  error: "error",
  warn: "warning",
  info: "info",
  debug: "debug",
};

/**
 * A 2026-07-28 call's own logs, as notifications on its own response stream, filtered by the log
 * level its _meta asks for (there is no logging/setLevel in that era).
 */
export function requestLogSink(ctx: ServerContext): LogSink {
  return ({ level, message, fields }) => {
    const data = fields ? { message, ...fields } : message;
    void ctx.mcpReq.log(MCP_LOG_LEVEL[level], data, "vagon-files-mcp").catch(() => {});
  };
}

/**
 * The handler context of the tool call running now (define-tool.ts sets it): over stdio one
 * 2026-07-28 server answers every request of the connection, each with its own _meta.
 */
export const currentCall = new AsyncLocalStorage<ServerContext>();

/** Thrown where a 2026-07-28 call needs something from the client first; the call answers it. */
export class NeedsInput extends Error {
  constructor(readonly result: InputRequiredResult) {
    super("the client is asked for input first");
  }
}
