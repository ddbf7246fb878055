// Builds one McpServer for one MCP session from the shared config, client and logger.

import type { Transport } from "@modelcontextprotocol/server";
import { McpServer } from "@modelcontextprotocol/server";
import { type Config, packageVersion } from "../config.js";
import { createLifecycle, type Lifecycle } from "../lifecycle.js";
import { type Logger, type LogSink, withLogScope } from "../log.js";
import type { VagonClient } from "../vagon/types.js";
import { confirmationCodec, UNCONFIRMED_DELETES_NOTICE } from "./housekeeping/confirm-delete.js";
import { registerTool } from "./kit/define-tool.js";
import { MCP_LOG_LEVEL } from "./kit/era.js";
import type { JobOwners } from "./kit/job-owners.js";
import { PagesAhead } from "./kit/pages-ahead.js";
import { registerViews } from "./kit/views.js";
import { createLocalPaths } from "./local-paths.js";
import { registerPrompts } from "./prompts.js";
import { registerResources } from "./resources.js";
import { TOOLS } from "./tools/index.js";

/** What the session can do: in read-only mode nothing that changes Vagon Files is offered. */
function instructions(config: Config): string {
  const actions = config.readOnly
    ? "then read or download (this server is read-only: no uploads, folders or deletes)"
    : "then download, upload, create folders or delete";
  const unasked =
    !config.readOnly && config.transport === "http" && config.http.allowUnconfirmedDeletes
      ? ` ${UNCONFIRMED_DELETES_NOTICE}`
      : "";
  return `Vagon Files: the storage of Vagon cloud computers. Find ids with list_files, ${actions}. ${JOB_AND_ROOTS}${unasked}`;
}

const JOB_AND_ROOTS = `Downloads of several files, folders and task bundles are zip jobs: if a call answers "processing", continue with get_download and the download_id. Local paths must lie inside the allowed roots.`;

const DAY_MS = 24 * 60 * 60_000;

/** The tools a read-only server offers: those that change nothing at Vagon (downloads do save locally). */
export const READ_ONLY_TOOLS: readonly string[] = TOOLS.filter((tool) => !tool.mutating).map(
  (tool) => tool.name,
);

export interface McpServerDeps {
  config: Config;
  client: VagonClient;
  logger: Logger;
  /** Shared by every server of the process: shutdown tells tools to wrap up and waits for them. */
  lifecycle?: Lifecycle;
  /** Over HTTP: who the caller is (transports/session-admission.ts), for job ownership and logs. */
  principal?: string;
  /** Over HTTP, shared by every server of the process: who started which zip job here. */
  jobOwners?: JobOwners;
}

/** Builds one McpServer for one MCP session; the transports take it so tests can wire their own. */
export type McpServerFactory = (deps: McpServerDeps) => McpServer;

export function createMcpServer({
  config,
  client,
  logger,
  lifecycle = createLifecycle(),
  principal,
  jobOwners,
}: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: "vagon-files-mcp", version: packageVersion() },
    {
      capabilities: { logging: {} },
      instructions: instructions(config),
      // A delete's confirmation state (2026-07-28): checked before the tool runs; a tampered,
      // expired or someone else's state is refused there and deletes nothing.
      requestState: { verify: (state, ctx) => confirmationCodec(config, principal).verify(state, ctx) },
      // 2026-07-28 list results say how long they stay true. The tools, prompts and templates
      // are fixed per configuration (read-only or not) and build: a day, for any cache. Listings
      // and reads are the account's live files: briefly, and for this caller only.
      cacheHints: {
        "tools/list": { ttlMs: DAY_MS, cacheScope: "public" },
        "prompts/list": { ttlMs: DAY_MS, cacheScope: "public" },
        "resources/templates/list": { ttlMs: DAY_MS, cacheScope: "public" },
        "server/discover": { ttlMs: DAY_MS, cacheScope: "public" },
        "resources/list": { ttlMs: 30_000, cacheScope: "private" },
        "resources/read": { ttlMs: 0, cacheScope: "private" },
      },
    },
  );
  const paths = createLocalPaths(config, server, logger);
  const pagesAhead = new PagesAhead();
  for (const tool of TOOLS) {
    if (config.readOnly && !READ_ONLY_TOOLS.includes(tool.name)) continue;
    registerTool(server, tool, {
      client,
      config,
      logger,
      paths,
      server,
      lifecycle,
      principal,
      jobOwners,
      pagesAhead,
    });
  }
  registerResources(server, client, logger);
  registerViews(server);
  registerPrompts(server, { readOnly: config.readOnly });

  // This session's share of the logs, as MCP logging notifications: only what its own calls
  // cause, because every message it receives is handled inside its log scope.
  const sessionSink: LogSink = ({ level, message, fields }) => {
    if (!server.isConnected()) return;
    const data = fields ? { message, ...fields } : message;
    void server.server
      .sendLoggingMessage({ level: MCP_LOG_LEVEL[level], logger: "vagon-files-mcp", data })
      .catch(() => {});
  };
  const connect = server.connect.bind(server);
  server.connect = (transport: Transport) => {
    scopeIncomingMessages(transport, sessionSink);
    return connect(transport);
  };
  return server;
}

/**
 * Whatever handler the SDK installs for incoming messages runs inside the session's log scope,
 * so the call it starts (and every await, timer and request under it) logs to this session.
 * Installed before connect(), so not even a message delivered while the transport starts escapes.
 */
function scopeIncomingMessages(transport: Transport, sink: LogSink): void {
  // Some transports forward onmessage to an inner one through an accessor (the Node Streamable
  // HTTP transport wraps the web-standard one): keep that forwarding, hand it the scoped handler.
  let inherited: PropertyDescriptor | undefined;
  for (let owner: object | null = transport; owner && !inherited; owner = Object.getPrototypeOf(owner)) {
    inherited = Object.getOwnPropertyDescriptor(owner, "onmessage");
  }
  let stored: Transport["onmessage"];
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    enumerable: true,
    get: () => (inherited?.get ? inherited.get.call(transport) : stored),
    set: (next: Transport["onmessage"]) => {
      const scoped: Transport["onmessage"] =
        next && ((message, extra) => withLogScope(sink, () => next(message, extra)));
      if (inherited?.set) inherited.set.call(transport, scoped);
      else stored = scoped;
    },
  });
}
