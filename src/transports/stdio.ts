// The stdio transport: one MCP session for the life of the process, spoken over
// stdin/stdout. Nothing but protocol may reach stdout; logs go to stderr.
// The session ends when the host closes stdin or the process is told to stop: calls in flight
// are aborted (the host is gone, nobody would read their answers) and close() resolves once
// their cleanups have run: partial downloads removed, half-created uploads deleted at Vagon.

import type { Readable, Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio";
import { createLifecycle } from "../lifecycle.js";
import type { McpServerDeps, McpServerFactory } from "../mcp/server.js";

export type { McpServerDeps, McpServerFactory };

export interface StdioServerOptions extends McpServerDeps {
  createServer: McpServerFactory;
  stdin?: Readable;
  stdout?: Writable;
  /** How long close() waits for aborted calls to clean up; default 10 s. */
  cleanupMs?: number;
}

export interface StdioServerHandle {
  /** Resolves once the session is over: close() was called or the host closed stdin. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export async function startStdioServer(options: StdioServerOptions): Promise<StdioServerHandle> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const { config, client, logger } = options;
  const lifecycle = options.lifecycle ?? createLifecycle();
  const cleanupMs = options.cleanupMs ?? 10_000;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  // The SDK's stdio entry picks the era from the first message: an `initialize` pins one server
  // for the connection's life (2025-06-18 / 2025-11-25), a 2026-07-28 request (or server/discover)
  // pins one that reads each request's version and capabilities from its _meta.
  const transport = new StdioServerTransport(stdin, stdout);
  const connection = serveStdio(() => options.createServer({ config, client, logger, lifecycle }), {
    transport,
    onerror: (error) => logger.debug(`stdio transport: ${error.message}`),
  });

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const running = lifecycle.inFlight();
      // Closing the connection closes its server, which aborts every call in flight.
      await connection.close().catch((error: unknown) => {
        logger.warn(
          `closing the MCP server failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      if (running === 0) return;
      logger.info(`session over: stopping ${running} call(s) in flight and cleaning up after them`);
      const gaveUp = new AbortController();
      await Promise.race([
        lifecycle.idle(),
        sleep(cleanupMs, undefined, { signal: gaveUp.signal }).catch(() => {}),
      ]);
      gaveUp.abort();
    })();
    resolveClosed();
    return closing;
  };
  // The host ends the session by closing our stdin; the SDK transport doesn't notice by itself.
  const onStdinGone = () => void close();
  stdin.once("end", onStdinGone);
  stdin.once("close", onStdinGone);
  void closed.then(() => {
    stdin.off("end", onStdinGone);
    stdin.off("close", onStdinGone);
  });

  logger.debug("stdio MCP session started");
  return { closed, close };
}
