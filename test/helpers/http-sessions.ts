// A real Streamable HTTP server (the one src/cli.ts starts) on the real sandbox, and real SDK
// clients connected to it over sockets: for the suites about what one HTTP session can see or do
// to another, and what an unauthenticated request can reach.
import * as fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  type ClientCapabilities,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../../src/config.js";
import { createLogger, type Logger, type LogRecord } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { type HttpServerHandle, type HttpServerOptions, startHttpServer } from "../../src/transports/http.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";

export interface HttpHarness {
  server: HttpServerHandle;
  vagon: VagonClient;
  logger: Logger;
  config: Config;
  /** Every record the process logged: what stderr would have shown. */
  processLogs: LogRecord[];
  /** Scratch folder holding `root` (configured when asked) and `outside`. */
  workDir: string;
  root: string;
  outside: string;
  close(): Promise<void>;
}

export async function startHttpHarness(
  sandbox: Sandbox,
  options: {
    token?: string | null;
    configuredRoot?: boolean;
    /** Overrides of the HTTP settings (stateless, the operator's opt-ins). */
    http?: Partial<Config["http"]>;
    server?: Partial<Omit<HttpServerOptions, "config" | "client" | "logger" | "createServer">>;
  } = {},
): Promise<HttpHarness> {
  const workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-http-")));
  const root = path.join(workDir, "root");
  const outside = path.join(workDir, "outside");
  await fs.mkdir(root);
  await fs.mkdir(outside);
  const logger = createLogger({ level: "debug", stderr: false });
  const processLogs: LogRecord[] = [];
  logger.addSink((record) => processLogs.push(record));
  const token = options.token ?? null;
  const config: Config = {
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    roots: options.configuredRoot === false ? [] : [root],
    downloadDir: null,
    readOnly: false,
    logLevel: "debug",
    transport: "http",
    http: { host: "127.0.0.1", port: 0, token, stateless: false, ...options.http },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
  };
  logger.addSecret(config.apiSecret);
  if (token) logger.addSecret(token);
  const vagon = createVagonClient({
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    logger,
  });
  const server = await startHttpServer({
    config,
    client: vagon,
    logger,
    createServer: createMcpServer,
    ...options.server,
  });
  return {
    server,
    vagon,
    logger,
    config,
    processLogs,
    workDir,
    root,
    outside,
    close: async () => {
      await server.close();
      await vagon.close();
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}

export interface HttpSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** The session id the server handed out (to look for in what others receive). */
  sessionId: string;
  /** Every MCP logging notification this session received (its GET stream is open on return). */
  notifications: LoggingMessageNotification["params"][];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** Resolves once a notification matching `test` has arrived (bounded by the test timeout). */
  waitForNotification(test: (text: string) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function openHttpSession(
  url: string,
  options: {
    token?: string | null;
    capabilities?: ClientCapabilities;
    name?: string;
    /** A --stateless server has no GET stream (nor log notifications) to wait for. */
    stateless?: boolean;
    /** Sent with every request (e.g. what a test's principalOf reads). */
    headers?: Record<string, string>;
  } = {},
  beforeConnect?: (client: Client) => void,
): Promise<HttpSession> {
  const headers: Record<string, string> = {
    ...options.headers,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  // Resolves when the server has answered the session's GET (its stream for server-initiated
  // messages, where log notifications arrive): from then on nothing sent to it can be missed.
  let streamOpened!: () => void;
  const streamOpen = new Promise<void>((resolve) => {
    streamOpened = resolve;
  });
  const watchingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if ((init?.method ?? "GET") === "GET" && response.ok) streamOpened();
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
    fetch: watchingFetch,
  });
  const client = new Client(
    { name: options.name ?? "http-session", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const notifications: LoggingMessageNotification["params"][] = [];
  const waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    notifications.push(notification.params);
    const text = JSON.stringify(notification.params);
    for (const waiter of [...waiters]) {
      if (waiter.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  beforeConnect?.(client);
  await client.connect(transport);
  if (!options.stateless) {
    await client.setLoggingLevel("debug");
    await streamOpen;
  }
  return {
    client,
    transport,
    sessionId: transport.sessionId ?? "",
    notifications,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    waitForNotification: (test) =>
      notifications.some((notification) => test(JSON.stringify(notification)))
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ test, resolve })),
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** One raw HTTP/1.1 request written byte for byte (any Host, any bytes); resolves with the status. */
export function rawHttpRequest(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, "latin1")));
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on("error", reject);
  });
}
