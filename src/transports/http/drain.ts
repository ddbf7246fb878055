// What drain() needs to know and do (see ../http.ts for the why): every open connection and
// every MCP request not yet answered in full, /healthz's answer, and retiring a connection
// after its current response.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

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
