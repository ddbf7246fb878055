// What drain() needs to know and do (see ../http.ts for the why): every open connection and
// every MCP request not yet answered in full, /healthz's answer, and retiring a connection
// after its current response.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { Lifecycle } from "../../lifecycle.js";
import type { Logger } from "../../log.js";
import type { SessionTable } from "./sessions.js";

/** The connection ends after this response instead of waiting for the next request. */
export function lastOnItsConnection(res: ServerResponse) {
  if (!res.headersSent) {
    res.setHeader("connection", "close");
    return;
  }
  const socket = res.socket;
  res.once("finish", () => socket?.end());
}

/** /healthz: listening starts only once everything is set up, so any answer before draining is "ready". */
export function answerHealth(req: IncomingMessage, res: ServerResponse, draining: boolean) {
  const headers = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };
  res.writeHead(draining ? 503 : 200, draining ? { ...headers, connection: "close" } : headers);
  res.end(req.method === "HEAD" ? undefined : draining ? "draining" : "ready");
}

export interface Traffic {
  /** MCP requests not yet answered in full. */
  readonly activeResponses: ReadonlySet<ServerResponse>;
  readonly openConnections: number;
  /** Counts an MCP request until its response closes. */
  track(res: ServerResponse): void;
  /** True once every connection closed, false when `boundMs` passed first. */
  allClosedWithin(boundMs: number): Promise<boolean>;
}

export function watchTraffic(httpServer: Server): Traffic {
  const activeResponses = new Set<ServerResponse>();
  const openConnections = new Set<Socket>();
  let allConnectionsClosed: (() => void) | null = null;
  httpServer.on("connection", (socket: Socket) => {
    openConnections.add(socket);
    socket.once("close", () => {
      openConnections.delete(socket);
      if (openConnections.size === 0) allConnectionsClosed?.();
    });
  });
  return {
    activeResponses,
    get openConnections() {
      return openConnections.size;
    },
    track(res) {
      activeResponses.add(res);
      res.once("close", () => activeResponses.delete(res));
    },
    async allClosedWithin(boundMs) {
      let boundTimer: NodeJS.Timeout | undefined;
      const inTime = await new Promise<boolean>((resolve) => {
        allConnectionsClosed = () => resolve(true);
        if (openConnections.size === 0) resolve(true);
        boundTimer = setTimeout(() => resolve(false), boundMs);
      });
      clearTimeout(boundTimer);
      return inTime;
    },
  };
}

/**
 * Refuses new connections, retires every connection after its current response, closes the
 * sessions with nothing in flight, and waits for the connections to close within `drainMs`
 * (zip waits are told to wrap up a little before). The caller closes what is left.
 */
export async function drainTraffic(options: {
  httpServer: Server;
  traffic: Traffic;
  sessions: SessionTable;
  lifecycle: Lifecycle;
  drainMs: number;
  logger: Logger;
}): Promise<void> {
  const { httpServer, traffic, sessions, lifecycle, drainMs, logger } = options;
  logger.info(
    `draining: ${traffic.activeResponses.size} requests in flight get up to ${Math.round(drainMs / 1000)} s`,
  );
  // net.Server's close, not http.Server's: that one also closes idle kept-alive connections,
  // racing the balancer's next request on them.
  NetServer.prototype.close.call(httpServer);
  for (const res of traffic.activeResponses) lastOnItsConnection(res);
  // Sessions with nothing in flight would only hold the drain open with their GET streams.
  await sessions.closeUnbusy("the server is shutting down");
  // Zip waits answer a little before the bound, so their answers still get out.
  const wrapUpLeadMs = Math.min(2_000, drainMs / 4);
  const wrapUpTimer = setTimeout(() => lifecycle.beginWrapUp(), drainMs - wrapUpLeadMs);
  const inTime = await traffic.allClosedWithin(drainMs);
  clearTimeout(wrapUpTimer);
  if (!inTime) {
    logger.warn(
      `drain bound reached: closing ${traffic.openConnections} connections, ending ${traffic.activeResponses.size} requests still running`,
    );
  }
}
