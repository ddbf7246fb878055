// The Streamable HTTP transport at /mcp on a plain node:http server.
//
// Stateful (default): one McpServer + transport per MCP session, created on initialize,
// removed on DELETE, on close, or after a stretch without requests (an open GET stream is not a
// request: it would keep a forgotten session forever). At the session cap the least recently
// used idle session makes room. Session ids are never logged. Stateless (--stateless): a
// fresh server + transport per request, so identical replicas can serve any request; long
// jobs live on at Vagon under their download_id, which get_download picks up anywhere.
//
// Every request passes, in this order: Host check, Origin check (DNS-rebinding protection
// for local servers), routing, bearer token (when configured), body size limit. Refusals are
// described on stderr only, rate-limited (refusal-log.ts): nothing of them reaches any session.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer as createNodeServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { isLoopbackHost } from "../config.js";
import { createRefusalLog } from "./refusal-log.js";
import type { McpServerDeps, McpServerFactory } from "./stdio.js";

export const MCP_PATH = "/mcp";
export const HEALTH_PATH = "/healthz";
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_IDLE_SESSION_MS = 30 * 60 * 1000;
export const DEFAULT_MAX_SESSIONS = 1000;

export interface HttpServerOptions extends McpServerDeps {
  createServer: McpServerFactory;
  /** Sessions without any request for this long are closed, open GET streams or not. */
  idleSessionMs?: number;
  maxBodyBytes?: number;
  maxSessions?: number;
  /** The clock idleness is measured with (tests move it instead of waiting). */
  now?: () => number;
}

export interface HttpServerHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:8808/mcp (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  /** Open MCP sessions (always 0 when stateless). */
  sessionCount(): number;
  /** Closes the sessions idle past the limit now (a timer does it every half limit, ≤ 60 s). */
  sweepIdleSessions(): Promise<number>;
  close(): Promise<void>;
}

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  /** When the last request (of any method) arrived or a POST/DELETE finished. */
  lastActivityMs: number;
  /** POST/DELETE requests in flight; a GET stream doesn't count, so it can't pin a session. */
  activeRequests: number;
}

const LOOPBACK_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_HOSTS = ["0.0.0.0", "::", "[::]"];

/** The host as URL.hostname spells it: lower case, IPv6 in brackets. */
function urlHostname(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return bare.includes(":") ? `[${bare.toLowerCase()}]` : bare.toLowerCase();
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

type BodyResult = { kind: "ok"; text: string } | { kind: "too-large" };

async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return { kind: "too-large" };
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBytes) return { kind: "too-large" };
    chunks.push(chunk);
  }
  return { kind: "ok", text: Buffer.concat(chunks).toString("utf8") };
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body)
    ? body.some((message) => isInitializeRequest(message))
    : isInitializeRequest(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { config, client, logger, createServer } = options;
  const deps: McpServerDeps = { config, client, logger };
  const idleSessionMs = options.idleSessionMs ?? DEFAULT_IDLE_SESSION_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const now = options.now ?? Date.now;
  const refusals = createRefusalLog(logger);
  const { host, stateless } = config.http;

  // Hash both sides so the comparison takes the same time whatever the lengths.
  const tokenDigest =
    config.http.token === null ? null : createHash("sha256").update(config.http.token).digest();
  const boundHostname = urlHostname(host);
  const isWildcard = WILDCARD_HOSTS.includes(host);
  const allowedHostnames = isLoopbackHost(host)
    ? [...new Set([...LOOPBACK_HOSTNAMES, boundHostname])]
    : [boundHostname];
  let boundPort = 0;

  // In least-recently-used order: each request moves its session to the end.
  const sessions = new Map<string, Session>();
  // Per-request servers of stateless mode, so close() can end the ones still streaming.
  const statelessServers = new Set<McpServer>();

  function hostAllowed(hostHeader: string | undefined): boolean {
    // Bound to every interface: the Host is whatever name the load balancer uses; the
    // mandatory token protects such a server.
    if (isWildcard) return true;
    if (!hostHeader) return false;
    let parsed: URL;
    try {
      parsed = new URL(`http://${hostHeader}`);
    } catch {
      return false;
    }
    const portOk = parsed.port === "" || Number(parsed.port) === boundPort;
    return portOk && allowedHostnames.includes(parsed.hostname);
  }

  function originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
    return LOOPBACK_HOSTNAMES.includes(parsed.hostname) || (!isWildcard && parsed.hostname === boundHostname);
  }

  function tokenAccepted(authorization: string | undefined): boolean {
    if (tokenDigest === null) return true;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) return false;
    return timingSafeEqual(createHash("sha256").update(match[1]).digest(), tokenDigest);
  }

  async function closeSession(sessionId: string, reason: string) {
    const session = sessions.get(sessionId);
    if (!session) return;
    sessions.delete(sessionId);
    logger.debug(`closing an MCP session (${reason}); ${sessions.size} left`);
    await session.server.close().catch((error: unknown) => {
      logger.warn(`closing an MCP session failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Counts a request against its session: activity now, and in flight until it ends unless a GET. */
  function trackRequest(session: Session, req: IncomingMessage, res: ServerResponse) {
    session.lastActivityMs = now();
    if (req.method === "GET") return;
    session.activeRequests += 1;
    res.once("close", () => {
      session.activeRequests -= 1;
      session.lastActivityMs = now();
    });
  }

  /** The least recently used session with no POST/DELETE in flight, closed to make room. */
  async function evictLeastRecentlyUsed(): Promise<boolean> {
    for (const [sessionId, session] of sessions) {
      if (session.activeRequests > 0) continue;
      await closeSession(sessionId, "evicted: the session table is full and it was the least recently used");
      return true;
    }
    return false;
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown) {
    if (sessions.size >= maxSessions && !(await evictLeastRecentlyUsed())) {
      sendError(res, 503, "Too many MCP sessions busy at once; try again later.", { "retry-after": "60" });
      return;
    }
    const server = createServer(deps);
    const session: Session = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, session);
          logger.debug(`MCP session opened; ${sessions.size} open`);
        },
      }),
      lastActivityMs: now(),
      activeRequests: 0,
    };
    trackRequest(session, req, res);
    // Set before connect(): the SDK chains its own handler after ours.
    session.transport.onclose = () => {
      const sessionId = session.transport.sessionId;
      if (sessionId !== undefined && sessions.get(sessionId) === session) sessions.delete(sessionId);
    };
    session.transport.onerror = (error) => logger.debug(`MCP HTTP transport: ${error.message}`);
    try {
      await server.connect(session.transport);
      await session.transport.handleRequest(req, res, body);
    } finally {
      // An initialize that failed (bad protocol version, ...) leaves a server no one can reach.
      if (session.transport.sessionId === undefined || !sessions.has(session.transport.sessionId)) {
        await server.close().catch(() => {});
      }
    }
  }

  async function handleStateless(req: IncomingMessage, res: ServerResponse, body: unknown) {
    if (req.method !== "POST") {
      sendError(res, 405, "This server is stateless (--stateless): send every MCP message with POST.", {
        allow: "POST",
      });
      return;
    }
    const server = createServer(deps);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    transport.onerror = (error) => logger.debug(`MCP HTTP transport: ${error.message}`);
    statelessServers.add(server);
    res.once("close", () => {
      statelessServers.delete(server);
      void server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handleStateful(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const sessionId = headerValue(req.headers["mcp-session-id"]);
    if (sessionId === undefined) {
      if (req.method === "POST" && containsInitialize(body)) {
        await openSession(req, res, body);
        return;
      }
      sendError(
        res,
        400,
        "Bad Request: no MCP session; send initialize first (without an Mcp-Session-Id header).",
      );
      return;
    }
    const session = sessions.get(sessionId);
    if (!session) {
      // 404 tells a conforming client to start a new session.
      sendError(res, 404, "Session not found: it expired or was closed; initialize a new session.");
      return;
    }
    sessions.delete(sessionId);
    sessions.set(sessionId, session);
    trackRequest(session, req, res);
    await session.transport.handleRequest(req, res, body);
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse) {
    let body: unknown;
    if (req.method === "POST") {
      const read = await readBody(req, maxBodyBytes);
      if (read.kind === "too-large") {
        sendError(res, 413, `Request body over ${maxBodyBytes} bytes.`, { connection: "close" });
        return;
      }
      try {
        body = JSON.parse(read.text);
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null }),
        );
        return;
      }
    } else if (req.method !== "GET" && req.method !== "DELETE") {
      sendError(res, 405, "Method not allowed; MCP uses POST, GET and DELETE.", {
        allow: "POST, GET, DELETE",
      });
      return;
    }
    if (stateless) await handleStateless(req, res, body);
    else await handleStateful(req, res, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!hostAllowed(req.headers.host)) {
      refusals.refused("foreign Host header", req.headers.host ?? null);
      sendError(res, 403, "Forbidden: Host header not allowed.");
      return;
    }
    if (!originAllowed(headerValue(req.headers.origin))) {
      refusals.refused("foreign Origin", headerValue(req.headers.origin) ?? null);
      sendError(res, 403, "Forbidden: Origin not allowed.");
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname === HEALTH_PATH && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : "ok");
      return;
    }
    if (pathname !== MCP_PATH) {
      sendError(res, 404, `Not found; the MCP endpoint is ${MCP_PATH}.`);
      return;
    }
    if (!tokenAccepted(headerValue(req.headers.authorization))) {
      const error = req.headers.authorization === undefined ? "" : ', error="invalid_token"';
      refusals.refused(req.headers.authorization === undefined ? "no bearer token" : "wrong bearer token");
      sendError(res, 401, "Unauthorized: send Authorization: Bearer <VAGON_MCP_HTTP_TOKEN>.", {
        "www-authenticate": `Bearer realm="vagon-files-mcp"${error}`,
      });
      return;
    }
    await handleMcp(req, res);
  }

  const httpServer = createNodeServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error(`HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, 500, "Internal server error.");
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.http.port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  boundPort = (httpServer.address() as AddressInfo).port;

  const sweepEveryMs = Math.max(10, Math.min(60_000, Math.floor(idleSessionMs / 2)));
  async function sweepIdleSessions(): Promise<number> {
    const idle = [...sessions].filter(
      ([, session]) => session.activeRequests <= 0 && now() - session.lastActivityMs >= idleSessionMs,
    );
    await Promise.all(idle.map(([sessionId]) => closeSession(sessionId, "idle")));
    return idle.length;
  }
  const sweepTimer = setInterval(() => void sweepIdleSessions(), sweepEveryMs);
  sweepTimer.unref();

  const urlHost =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" || host === "[::]" ? "[::1]" : boundHostname;
  const url = `http://${urlHost}:${boundPort}${MCP_PATH}`;
  logger.info(`MCP Streamable HTTP server listening at ${url}${stateless ? " (stateless)" : ""}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port: boundPort,
    sessionCount: () => sessions.size,
    sweepIdleSessions,
    close() {
      closing ??= (async () => {
        clearInterval(sweepTimer);
        refusals.close();
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await Promise.all([...sessions.keys()].map((sessionId) => closeSession(sessionId, "shutdown")));
        await Promise.all([...statelessServers].map((server) => server.close().catch(() => {})));
        httpServer.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
