// The Streamable HTTP transport at /mcp on a plain node:http server.
//
// Stateful (default): one McpServer + transport per MCP session, created on initialize,
// removed on DELETE, on close, or after a stretch without requests (an open GET stream is not a
// request: it would keep a forgotten session forever). At the session cap the least recently
// used idle session of the same owner makes room, never another's (session-admission.ts).
// Session ids are never logged. Stateless (--stateless): a
// fresh server + transport per request, so identical replicas can serve any request; long
// jobs live on at Vagon under their download_id, which get_download picks up anywhere.
//
// Every request passes, in this order: Host check, Origin check (DNS-rebinding protection
// for local servers), routing, bearer token (when configured), body size limit (http/router.ts).
// Refusals are described on stderr only, rate-limited (refusal-log.ts): nothing of them reaches
// any session.
//
// drain() is the graceful stop a load balancer needs (SIGTERM). The listener closes at once, so
// the balancer's new connections are refused and it fails over before it sent anything (safe
// even for POST, which it never resends once sent). The replica never closes a kept-alive
// connection the balancer may be sending on at that very moment — that request would be lost
// and, being a POST, not retried: each open connection instead carries its calls in flight or
// one last request (already routed here), answered with "Connection: close", or is closed by
// its idle peer. /healthz answers 503 "draining". At the bound, zip waits have already answered
// with their resumable download_id and whatever is left is ended.
import {
  createServer as createNodeServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createLifecycle, type Lifecycle } from "../lifecycle.js";
import type { Logger } from "../log.js";
import { createJobOwners } from "../mcp/kit/job-owners.js";
import { currentPrincipal, principalKey } from "../principal.js";
import { drainTraffic, type Traffic, watchTraffic } from "./http/drain.js";
import { type Site, siteOf, tokenDigestOf } from "./http/guards.js";
import { createStatefulLeg, createStatelessLeg, type LegacyLeg } from "./http/legacy.js";
import { sendError } from "./http/messages.js";
import { createModernLeg, type ModernLeg } from "./http/modern.js";
import { createRouter } from "./http/router.js";
import { createSessionTable, type SessionLimits, type SessionTable } from "./http/sessions.js";
import {
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
} from "./oauth/resource-server.js";
import { createRefusalLog, type RefusalLog } from "./refusal-log.js";
import {
  createOpenRateLimit,
  DEFAULT_MAX_SESSIONS_PER_ADDRESS,
  DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  DEFAULT_OPEN_BURST,
  DEFAULT_OPENS_PER_SECOND,
  principalOf as defaultPrincipalOf,
} from "./session-admission.js";
import type { McpServerDeps, McpServerFactory } from "./stdio.js";

export const MCP_PATH = "/mcp";
export const HEALTH_PATH = "/healthz";
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_IDLE_SESSION_MS = 30 * 60 * 1000;
export const DEFAULT_MAX_SESSIONS = 1000;
/** How long drain() lets calls in flight run before it ends them. */
export const DEFAULT_DRAIN_MS = 25_000;
/**
 * Kept-alive connections stay open this long between requests: longer than a balancer keeps
 * idle upstream connections (deploy/nginx.conf: 4 s), so the balancer always closes first. A
 * request it sends on a connection the replica is closing at that instant would be lost, and a
 * POST already sent is never retried.
 */
export const KEEP_ALIVE_MS = 65_000;

export interface HttpServerOptions extends McpServerDeps {
  createServer: McpServerFactory;
  /** Sessions without any request for this long are closed, open GET streams or not. */
  idleSessionMs?: number;
  maxBodyBytes?: number;
  maxSessions?: number;
  /** Sessions one principal (a token, later an OAuth subject) may hold; default 1000. */
  maxSessionsPerPrincipal?: number;
  /** Sessions one remote address may hold; default 200. */
  maxSessionsPerAddress?: number;
  /** New sessions one address may open at once (default 60), then opensPerSecond (default 2). */
  openBurst?: number;
  opensPerSecond?: number;
  /** Who a request acts for; default session-admission.ts's principalOf (OAuth extends it). */
  principalOf?: (req: IncomingMessage) => string;
  /** The clock idleness is measured with (tests move it instead of waiting). */
  now?: () => number;
  /** drain()'s bound; default 25 s. */
  drainMs?: number;
  /** With config.http.oauth: the resource server's cap and clock (tests). */
  oauth?: Omit<ResourceServerOptions, "refused">;
}

export interface HttpServerHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:8808/mcp (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  /** Open MCP sessions (always 0 when stateless). */
  sessionCount(): number;
  /** Closes the sessions idle past the limit now (a timer does it every half limit, ≤ 60 s). */
  sweepIdleSessions(): Promise<number>;
  /**
   * Stops gracefully: refuses new work, lets calls in flight finish within the drain bound
   * (zip waits hand back their download_id before it), then closes. Resolves once closed.
   */
  drain(): Promise<void>;
  /** Stops now: calls in flight are aborted (their cleanups run). */
  close(): Promise<void>;
}

function sessionLimitsOf(options: HttpServerOptions): SessionLimits {
  return {
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    maxPerPrincipal: options.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
    maxPerAddress: options.maxSessionsPerAddress ?? DEFAULT_MAX_SESSIONS_PER_ADDRESS,
    idleSessionMs: options.idleSessionMs ?? DEFAULT_IDLE_SESSION_MS,
  };
}

/**
 * Who a request acts for. A token the server doesn't check claims nothing: without one
 * configured, everyone is one. With OAuth, the token's subject and client (set by oauth.run
 * around every MCP request), so a refreshed or stepped-up token is still the same caller.
 */
function defaultPrincipalResolver(tokenDigest: Buffer | null): (req: IncomingMessage) => string {
  return (req) => {
    const authenticated = currentPrincipal();
    if (authenticated) return `oauth:${principalKey(authenticated)}`;
    return tokenDigest === null ? "anonymous" : defaultPrincipalOf(req);
  };
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { config, logger } = options;
  const lifecycle = options.lifecycle ?? createLifecycle();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const refusals = createRefusalLog(logger);
  // Session openings refused by the admission limits: described apart, just as sparingly.
  const admissionRefusals = createRefusalLog(logger, { counted: "new sessions over a limit" });
  const { host } = config.http;
  const oauth = await oauthOf(options, refusals);

  const tokenDigest = tokenDigestOf(config.http.token);
  const principalOf = options.principalOf ?? defaultPrincipalResolver(tokenDigest);
  const site = siteOf(host, config.http.oauth?.publicUrl);
  const { modern, legacy, sessions } = createLegs(
    options,
    lifecycle,
    principalOf,
    admissionRefusals,
    maxBodyBytes,
  );
  let draining = false;

  const handle = createRouter({
    mcpPath: MCP_PATH,
    healthPath: HEALTH_PATH,
    site,
    tokenDigest,
    oauth,
    refusals,
    maxBodyBytes,
    principalOf,
    modern,
    legacy,
    isDraining: () => draining,
    track: (res) => traffic.track(res),
  });

  const httpServer = nodeServerFor(handle, logger);
  const traffic = watchTraffic(httpServer);
  await listen(httpServer, config.http.port, host);
  site.port = (httpServer.address() as AddressInfo).port;
  const sweepTimer = startIdleSweep(sessions, sessionLimitsOf(options).idleSessionMs);
  const url = announceListening(options, site);

  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  let closing: Promise<void> | null = null;
  let drained: Promise<void> | null = null;
  const serverHandle: HttpServerHandle = {
    url,
    port: site.port,
    sessionCount: () => sessions.size,
    sweepIdleSessions: () => sessions.sweepIdle(),
    drain() {
      drained ??= (async () => {
        draining = true;
        await drainTraffic({ httpServer, traffic, sessions, lifecycle, drainMs, logger });
        await serverHandle.close();
      })();
      return drained;
    },
    close() {
      clearInterval(sweepTimer);
      closing ??= closeEverything(httpServer, traffic, [refusals, admissionRefusals], [legacy, modern]);
      return closing;
    },
  };
  return serverHandle;
}

/**
 * The legs of /mcp: 2026-07-28 requests in both modes (http/modern.ts), and the initialize era
 * (http/legacy.ts), stateful with its session table or stateless (--stateless).
 */
function createLegs(
  options: HttpServerOptions,
  lifecycle: Lifecycle,
  principalOf: (req: IncomingMessage) => string,
  admissionRefusals: RefusalLog,
  maxBodyBytes: number,
): { modern: ModernLeg; legacy: LegacyLeg; sessions: SessionTable } {
  const { config, client, logger, createServer } = options;
  const now = options.now ?? Date.now;
  // Who started which zip job, for every server of this process (cancel_download checks it).
  const jobOwners = createJobOwners();
  const deps: McpServerDeps = { config, client, logger, lifecycle, jobOwners };
  const modern = createModernLeg(deps, createServer, maxBodyBytes, logger);
  const sessions = createSessionTable(sessionLimitsOf(options), now, logger);
  const legacyOptions = { deps, createServer, principalOf, logger, now };
  const legacy = config.http.stateless
    ? createStatelessLeg(legacyOptions)
    : createStatefulLeg({
        ...legacyOptions,
        sessions,
        openRate: openRateOf(options, now),
        admissionRefusals,
      });
  return { modern, legacy, sessions };
}

/** How fast one address may open new sessions (stateful only). */
function openRateOf(options: HttpServerOptions, now: () => number) {
  return createOpenRateLimit({
    burst: options.openBurst ?? DEFAULT_OPEN_BURST,
    perSecond: options.opensPerSecond ?? DEFAULT_OPENS_PER_SECOND,
    now,
  });
}

/**
 * OAuth (SPEC §6): one seam, src/transports/oauth/resource-server.ts; start-up fails here when
 * the issuer's metadata or keys can't be read. Null without config.http.oauth.
 */
async function oauthOf(options: HttpServerOptions, refusals: RefusalLog): Promise<ResourceServer | null> {
  const { config, logger } = options;
  if (!config.http.oauth) return null;
  return createResourceServer(config.http.oauth, MCP_PATH, logger, {
    ...options.oauth,
    refused: (reason) => refusals.refused(reason),
  });
}

/** The node:http server answering every request through `handle`; a failure answers 500. */
function nodeServerFor(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  logger: Logger,
): Server {
  const httpServer = createNodeServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error(`HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, 500, "Internal server error.");
    });
  });
  httpServer.keepAliveTimeout = KEEP_ALIVE_MS;
  httpServer.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return httpServer;
}

function listen(httpServer: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
}

/** Closes the sessions idle past the limit every half limit (at least 10 ms, at most 60 s). */
function startIdleSweep(sessions: SessionTable, idleSessionMs: number): NodeJS.Timeout {
  const sweepEveryMs = Math.max(10, Math.min(60_000, Math.floor(idleSessionMs / 2)));
  const sweepTimer = setInterval(() => void sessions.sweepIdle(), sweepEveryMs);
  sweepTimer.unref();
  return sweepTimer;
}

/** Logs where the server listens (and what a stateless server does unasked); answers the MCP URL. */
function announceListening(options: HttpServerOptions, site: Site): string {
  const { config, logger } = options;
  const { host, stateless } = config.http;
  const urlHost =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" || host === "[::]" ? "[::1]" : site.boundHostname;
  const url = `http://${urlHost}:${site.port}${MCP_PATH}`;
  logger.info(`MCP Streamable HTTP server listening at ${url}${stateless ? " (stateless)" : ""}`);
  if (stateless && config.http.allowUnconfirmedDeletes && !config.readOnly) {
    logger.warn(
      "--allow-unconfirmed-deletes: deletes this stateless server can't confirm with the user run unasked",
    );
  }
  return url;
}

/** Stops now: the refusal logs, both legs (aborting calls in flight), then every connection. */
async function closeEverything(
  httpServer: Server,
  traffic: Traffic,
  refusalLogs: RefusalLog[],
  legs: { close(): Promise<void> }[],
): Promise<void> {
  for (const log of refusalLogs) log.close();
  // After a drain the listener is already closed, and maybe every connection with it.
  const stopped = new Promise<void>((resolve) => {
    if (!httpServer.listening && traffic.openConnections === 0) resolve();
    else httpServer.once("close", () => resolve());
    if (httpServer.listening) httpServer.close();
  });
  for (const leg of legs) await leg.close();
  httpServer.closeAllConnections();
  await stopped;
}
