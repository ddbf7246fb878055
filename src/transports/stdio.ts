// The stdio transport: one MCP session for the life of the process, spoken over
// stdin/stdout. Nothing but protocol may reach stdout; logs go to stderr.
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { McpServerDeps, McpServerFactory } from "../mcp/server.js";

export type { McpServerDeps, McpServerFactory };

export interface StdioServerOptions extends McpServerDeps {
  createServer: McpServerFactory;
  stdin?: Readable;
  stdout?: Writable;
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
  const server = options.createServer({ config, client, logger });
  const transport = new StdioServerTransport(stdin, stdout);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  // Set before connect(): the SDK chains its own handler after ours.
  transport.onclose = () => resolveClosed();
  transport.onerror = (error) => logger.warn(`stdio transport error: ${error.message}`);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= server.close().catch((error: unknown) => {
      logger.warn(`closing the MCP server failed: ${error instanceof Error ? error.message : String(error)}`);
    });
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

  await server.connect(transport);
  logger.debug("stdio MCP session started");
  return { closed, close };
}
