// 2026-07-28 requests, in both modes: each one is answered by a fresh server built for it, its
// version, capabilities and log level read from its own _meta; nothing is kept between them.
// The SDK checks the envelope and the Mcp-Method/Mcp-Name headers against the body. Everything
// else (initialize, session GET/DELETE, claim-less POSTs) is the initialize era (legacy.ts).
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import type { Logger } from "../../log.js";
import type { McpServerDeps, McpServerFactory } from "../stdio.js";

export interface ModernLeg {
  serve(req: IncomingMessage, res: ServerResponse, body: unknown, principal: string): Promise<void>;
  close(): Promise<void>;
}

export function createModernLeg(
  deps: McpServerDeps,
  createServer: McpServerFactory,
  maxBodyBytes: number,
  logger: Logger,
): ModernLeg {
  // The SDK builds the server deep inside its handler: the request's principal reaches the
  // factory through the async context of the request being served.
  const modernPrincipal = new AsyncLocalStorage<string>();
  const modern = createMcpHandler(() => createServer({ ...deps, principal: modernPrincipal.getStore() }), {
    legacy: "reject",
    maxRequestBodySize: maxBodyBytes,
    onerror: (error) => logger.debug(`MCP HTTP (2026-07-28): ${error.message}`),
  });
  const serveModern = toNodeHandler(modern, { maxRequestBodySize: maxBodyBytes });
  return {
    async serve(req, res, body, principal) {
      await modernPrincipal.run(principal, () => serveModern(req, res, body));
    },
    async close() {
      await modern.close().catch(() => {});
    },
  };
}
