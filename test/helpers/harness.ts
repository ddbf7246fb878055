// Shared arrangements for the tool, hardening and soak suites: a real sandbox, the real Vagon
// client, the real MCP server, and an SDK Client connected through an in-memory transport pair,
// wired the way src/cli.ts wires them. A test file calls useHarness() once at its top (a describe
// may add its own, e.g. read-only, on the same sandbox). Suites of the HTTP and stdio transports
// set up through helpers/http-sessions.ts, helpers/replicas.ts or a child process instead.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type CallToolResult,
  type ClientCapabilities,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { Config } from "../../src/config.js";
import { createLogger, type Logger, type LogLevel, type LogRecord } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { createVagonClient, type VagonClientOptions } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";

export interface HarnessOptions {
  /**
   * Reuse a sandbox started by the test file, or another useHarness's `sandbox` answer (it is
   * not closed by close()).
   */
  sandbox?: Sandbox;
  sandboxOptions?: SandboxOptions;
  config?: Partial<Omit<Config, "apiUrl" | "apiKey" | "apiSecret">>;
  /** Extra client options, e.g. faster retries for fault soaks. */
  clientOptions?: Partial<VagonClientOptions>;
  logLevel?: LogLevel;
  /** Write log lines to the real stderr too (default false: captured only). */
  stderr?: boolean;
  capabilities?: ClientCapabilities;
  /** Per-call timeout for callTool (default 30 s). */
  callTimeoutMs?: number;
  /** Name of the root folder inside the scratch folder (default "root"). */
  rootName?: string;
  /** Wraps the Vagon client the server uses: a deterministic seam to hold or count API calls. */
  wrapClient?: (client: VagonClient) => VagonClient;
}

export interface Harness {
  sandbox: Sandbox;
  vagon: VagonClient;
  mcp: Client;
  logger: Logger;
  config: Config;
  /** Scratch folder holding `root` and `outside`. */
  workDir: string;
  /** The one configured root (real path). */
  root: string;
  /** A folder next to the root, not inside any root. */
  outside: string;
  /** Every log record that passed the level (already redacted by the logger). */
  logs: LogRecord[];
  /** Every MCP logging notification the client received. */
  notifications: LoggingMessageNotification["params"][];
  callTool(
    name: string,
    args: Record<string, unknown>,
    options?: { timeoutMs?: number },
  ): Promise<CallToolResult>;
  close(options?: { keepSandbox?: boolean }): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownsSandbox = options.sandbox === undefined;
  const sandbox = options.sandbox ?? (await startSandbox(options.sandboxOptions));
  const workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-hardening-")));
  const root = path.join(workDir, options.rootName ?? "root");
  const outside = path.join(workDir, "outside");
  await fs.mkdir(root);
  await fs.mkdir(outside);

  const logLevel = options.logLevel ?? "debug";
  const logger = createLogger({ level: logLevel, stderr: options.stderr ?? false });
  const logs: LogRecord[] = [];
  logger.addSink((record) => logs.push(record));

  const config: Config = {
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    roots: [root],
    downloadDir: null,
    readOnly: false,
    logLevel,
    transport: "stdio",
    http: { host: "127.0.0.1", port: 0, token: null, stateless: false },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
    ...options.config,
  };
  // As src/cli.ts does: the logger learns every secret before anything can log.
  logger.addSecret(config.apiSecret);
  if (config.http.token) logger.addSecret(config.http.token);

  const vagon = createVagonClient({
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    logger,
    ...options.clientOptions,
  });
  const server = createMcpServer({ config, client: options.wrapClient?.(vagon) ?? vagon, logger });
  const mcp = new Client(
    { name: "hardening-tests", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const notifications: LoggingMessageNotification["params"][] = [];
  mcp.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    notifications.push(notification.params);
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await mcp.connect(clientTransport);
  if (mcp.getServerCapabilities()?.logging) {
    await mcp.setLoggingLevel(logLevel === "warn" ? "warning" : logLevel);
  }

  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  return {
    sandbox,
    vagon,
    mcp,
    logger,
    config,
    workDir,
    root,
    outside,
    logs,
    notifications,
    callTool: async (name, args, callOptions) =>
      (await mcp.callTool({ name, arguments: args }, undefined, {
        timeout: callOptions?.timeoutMs ?? callTimeoutMs,
      })) as CallToolResult,
    close: async (closeOptions) => {
      await mcp.close().catch(() => {});
      await server.close().catch(() => {});
      await vagon.close();
      if (ownsSandbox && !closeOptions?.keepSandbox) await sandbox.close();
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a sandbox and a harness on it before the file's (or describe's) tests and closes both
 * after them. The two answers stand for what beforeAll started, so tests use them as they are;
 * a later beforeAll can arrange more on them. With `freshEachTest`, every test gets a harness of
 * its own (its own folders and server) on the one sandbox of the file or describe.
 */
export function useHarness(options: HarnessOptions & { freshEachTest?: boolean } = {}): {
  harness: Harness;
  sandbox: Sandbox;
} {
  const { freshEachTest, ...harnessOptions } = options;
  if (freshEachTest) return useHarnessEachTest(harnessOptions);
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(harnessOptions);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): Harness => {
    if (!started) throw new Error("useHarness: the harness is used before its beforeAll ran");
    return started;
  };
  return { harness: lateBound(current), sandbox: lateBound(() => current().sandbox) };
}

function useHarnessEachTest(options: HarnessOptions): { harness: Harness; sandbox: Sandbox } {
  let sandbox: Sandbox | undefined;
  let started: Harness | undefined;
  beforeAll(async () => {
    sandbox = options.sandbox ?? (await startSandbox(options.sandboxOptions));
  });
  afterAll(async () => {
    if (options.sandbox === undefined) await sandbox?.close();
  });
  beforeEach(async () => {
    started = await startHarness({ ...options, sandbox });
  });
  afterEach(async () => {
    await started?.close();
    started = undefined;
  });
  const current = <T>(what: string, value: T | undefined): T => {
    if (!value) throw new Error(`useHarness: the ${what} is used before its hook ran`);
    return value;
  };
  return {
    harness: lateBound(() => current("harness", started)),
    sandbox: lateBound(() => current("sandbox", sandbox)),
  };
}

/** An object that forwards every read and write to what `target()` answers at that moment. */
function lateBound<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get: (_, property) => Reflect.get(target(), property),
    set: (_, property, value) => Reflect.set(target(), property, value),
    has: (_, property) => Reflect.has(target(), property),
  });
}

/** The text items of a tool result, joined. */
export function toolText(result: CallToolResult): string {
  return result.content
    .filter((item): item is Extract<typeof item, { type: "text" }> => item.type === "text")
    .map((item) => item.text)
    .join("\n");
}

/**
 * A sandbox whose zip jobs take a few seconds by its own clock, which the test moves on:
 * `jobsFinish()` finishes every job started so far without any real waiting.
 */
export async function startSlowZipWorld(): Promise<{
  sandbox: Sandbox;
  harness: Harness;
  jobsFinish: () => void;
  close: () => Promise<void>;
}> {
  let clockOffsetMs = 0;
  const sandbox = await startSandbox({
    zipJob: { pendingMs: 50, processingMs: 3000 },
    clock: () => Date.now() + clockOffsetMs,
  });
  const harness = await startHarness({ sandbox });
  return {
    sandbox,
    harness,
    jobsFinish: () => {
      clockOffsetMs += 3100;
    },
    close: async () => {
      await harness.close({ keepSandbox: true });
      await sandbox.close();
    },
  };
}
