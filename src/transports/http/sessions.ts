// The initialize era's session table: one McpServer + transport per MCP session, in least
// recently used order, with the caps that make room only by closing the same owner's idle
// sessions (session-admission.ts) and the idle sweep. Session ids are never logged.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeStreamableHTTPServerTransport as StreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../../log.js";
import { type SessionOwner, sameOwner } from "../session-admission.js";

export interface Session {
  /** Who opened it: only the same owner's newcomers may push it out. */
  owner: SessionOwner;
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  /** When the last request (of any method) arrived or a POST/DELETE finished. */
  lastActivityMs: number;
  /** POST/DELETE requests in flight; a GET stream doesn't count, so it can't pin a session. */
  activeRequests: number;
}

export interface SessionLimits {
  maxSessions: number;
  maxPerPrincipal: number;
  maxPerAddress: number;
  /** Sessions without any request for this long are closed, open GET streams or not. */
  idleSessionMs: number;
}

export interface SessionTable {
  readonly size: number;
  get(sessionId: string): Session | undefined;
  /** Adds a session, or moves it to the most recently used end. */
  put(sessionId: string, session: Session): void;
  has(sessionId: string): boolean;
  /** Drops the entry only if it is still this session (a closed transport's last word). */
  forget(sessionId: string, session: Session): void;
  close(sessionId: string, reason: string): Promise<void>;
  /** Counts a request against its session: activity now, and in flight until it ends unless a GET. */
  track(session: Session, req: IncomingMessage, res: ServerResponse): void;
  /**
   * Makes room for a session of `owner` under every cap, closing only that owner's least
   * recently used sessions with no POST/DELETE in flight. Returns the refusal when it can't.
   */
  makeRoom(owner: SessionOwner): Promise<{ status: number; message: string } | null>;
  /** Closes the sessions idle past the limit; returns how many. */
  sweepIdle(): Promise<number>;
  /** Closes every session with no POST/DELETE in flight (drain: their GET streams would hold it open). */
  closeUnbusy(reason: string): Promise<void>;
  closeAll(reason: string): Promise<void>;
}

export function createSessionTable(limits: SessionLimits, now: () => number, logger: Logger): SessionTable {
  // In least-recently-used order: each request moves its session to the end.
  const sessions = new Map<string, Session>();

  async function close(sessionId: string, reason: string) {
    const session = sessions.get(sessionId);
    if (!session) return;
    sessions.delete(sessionId);
    logger.debug(`closing an MCP session (${reason}); ${sessions.size} left`);
    await session.server.close().catch((error: unknown) => {
      logger.warn(`closing an MCP session failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async function makeRoom(owner: SessionOwner): Promise<{ status: number; message: string } | null> {
    for (;;) {
      let ofPrincipal = 0;
      let ofAddress = 0;
      for (const session of sessions.values()) {
        if (session.owner.principal === owner.principal) ofPrincipal++;
        if (session.owner.address === owner.address) ofAddress++;
      }
      const overOwnCap = ofPrincipal >= limits.maxPerPrincipal || ofAddress >= limits.maxPerAddress;
      if (!overOwnCap && sessions.size < limits.maxSessions) return null;
      const ownIdle = [...sessions].find(
        ([, session]) => session.activeRequests <= 0 && sameOwner(session.owner, owner),
      );
      if (!ownIdle) {
        return overOwnCap
          ? {
              status: 429,
              message: "Too many MCP sessions open for this client at once; close some, or try again later.",
            }
          : { status: 503, message: "Too many MCP sessions open on this server; try again later." };
      }
      await close(ownIdle[0], "evicted: its owner opened a new one at the session cap");
    }
  }

  return {
    get size() {
      return sessions.size;
    },
    get: (sessionId) => sessions.get(sessionId),
    put(sessionId, session) {
      sessions.delete(sessionId);
      sessions.set(sessionId, session);
    },
    has: (sessionId) => sessions.has(sessionId),
    forget(sessionId, session) {
      if (sessions.get(sessionId) === session) sessions.delete(sessionId);
    },
    close,
    track(session, req, res) {
      session.lastActivityMs = now();
      if (req.method === "GET") return;
      session.activeRequests += 1;
      res.once("close", () => {
        session.activeRequests -= 1;
        session.lastActivityMs = now();
      });
    },
    makeRoom,
    async sweepIdle() {
      const idle = [...sessions].filter(
        ([, session]) =>
          session.activeRequests <= 0 && now() - session.lastActivityMs >= limits.idleSessionMs,
      );
      await Promise.all(idle.map(([sessionId]) => close(sessionId, "idle")));
      return idle.length;
    },
    async closeUnbusy(reason) {
      await Promise.all(
        [...sessions]
          .filter(([, session]) => session.activeRequests <= 0)
          .map(([sessionId]) => close(sessionId, reason)),
      );
    },
    async closeAll(reason) {
      await Promise.all([...sessions.keys()].map((sessionId) => close(sessionId, reason)));
    },
  };
}
