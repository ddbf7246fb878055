// The initialize era's leg of /mcp (everything that isn't a 2026-07-28 request): stateful, a
// session per initialize kept in the session table; or stateless (--stateless), a fresh server +
// transport per request, so identical replicas can serve any request.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { NodeStreamableHTTPServerTransport as StreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../../log.js";
import type { RefusalLog } from "../refusal-log.js";
import type { createOpenRateLimit, SessionOwner } from "../session-admission.js";
import type { McpServerDeps, McpServerFactory } from "../stdio.js";
import { containsInitialize, headerValue, sendError, wantsProgress } from "./messages.js";
import type { Session, SessionTable } from "./sessions.js";

export interface LegacyLegOptions {
  deps: McpServerDeps;
  createServer: McpServerFactory;
  principalOf: (req: IncomingMessage) => string;
  logger: Logger;
  now: () => number;
}

export interface LegacyLeg {
  handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void>;
  /** Ends what the leg still holds (stateless: the servers still streaming). */
  close(): Promise<void>;
}

/** Stateless: every message a POST, answered by a server built for it and closed with it. */
export function createStatelessLeg(options: LegacyLegOptions): LegacyLeg {
  const { deps, createServer, principalOf, logger } = options;
  // Per-request servers, so close() can end the ones still streaming.
  const statelessServers = new Set<McpServer>();
  return {
    async handle(req, res, body) {
      if (req.method !== "POST") {
        sendError(res, 405, "This server is stateless (--stateless): send every MCP message with POST.", {
          allow: "POST",
        });
        return;
      }
      const server = createServer({ ...deps, principal: principalOf(req) });
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: !wantsProgress(body),
      });
      transport.onerror = (error) => logger.debug(`MCP HTTP transport: ${error.message}`);
      statelessServers.add(server);
      res.once("close", () => {
        statelessServers.delete(server);
        void server.close().catch(() => {});
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
    async close() {
      await Promise.all([...statelessServers].map((server) => server.close().catch(() => {})));
    },
  };
}

/** Stateful: initialize opens a session (under the admission limits), later requests name it. */
export function createStatefulLeg(
  options: LegacyLegOptions & {
    sessions: SessionTable;
    openRate: ReturnType<typeof createOpenRateLimit>;
    /** Session openings refused by the admission limits: described apart, just as sparingly. */
    admissionRefusals: RefusalLog;
  },
): LegacyLeg {
  const { deps, createServer, principalOf, logger, now, sessions, openRate, admissionRefusals } = options;

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const owner: SessionOwner = {
      principal: principalOf(req),
      address: req.socket.remoteAddress ?? "unknown",
    };
    const waitSeconds = openRate.take(owner.address);
    if (waitSeconds !== null) {
      admissionRefusals.refused("too many new sessions from one address");
      sendError(res, 429, "Too many new MCP sessions from this address; wait, then try again.", {
        "retry-after": String(waitSeconds),
      });
      return;
    }
    const refusal = await sessions.makeRoom(owner);
    if (refusal) {
      admissionRefusals.refused("a session cap was reached");
      sendError(res, refusal.status, refusal.message, { "retry-after": "60" });
      return;
    }
    const server = createServer({ ...deps, principal: owner.principal });
    const session: Session = {
      owner,
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.put(sessionId, session);
          logger.debug(`MCP session opened; ${sessions.size} open`);
        },
      }),
      lastActivityMs: now(),
      activeRequests: 0,
    };
    sessions.track(session, req, res);
    // Set before connect(): the SDK chains its own handler after ours.
    session.transport.onclose = () => {
      const sessionId = session.transport.sessionId;
      if (sessionId !== undefined) sessions.forget(sessionId, session);
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

  return {
    async handle(req, res, body) {
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
      // Another principal's session is as unknown to this caller as one that never existed.
      if (!session || session.owner.principal !== principalOf(req)) {
        // 404 tells a conforming client to start a new session.
        sendError(res, 404, "Session not found: it expired or was closed; initialize a new session.");
        return;
      }
      sessions.put(sessionId, session);
      sessions.track(session, req, res);
      await session.transport.handleRequest(req, res, body);
    },
    async close() {
      await sessions.closeAll("shutdown");
    },
  };
}
