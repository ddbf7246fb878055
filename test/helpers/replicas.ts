// Real server processes for the shutdown and scale suites (and bench/load.ts): `node dist/cli.js
// --http --stateless` against a sandbox started by the caller, each a child process that can be
// sent SIGTERM or SIGKILL like an orchestrator would.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { Agent, fetch as undiciFetch } from "undici";
import type { Sandbox } from "../../src/sandbox/types.js";

export const CLI_PATH = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface Replica {
  readonly port: number;
  /** http://127.0.0.1:PORT/mcp */
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves once stderr contains `text` (a line the server logs at a known moment). */
  waitForStderr(text: string | RegExp): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL if still running, then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * fetch for MCP clients talking to a replica directly: its kept-alive connections close 10 ms
 * after their last answer (as a balancer's idle ones do after its keepalive_timeout), so a
 * draining replica is not kept waiting for them until its bound.
 */
export function briefKeepAliveFetch(): FetchLike {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  return ((url, init) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as FetchLike;
}

/** A port nothing listens on right now (the OS picks it; we release it at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startReplica(input: {
  sandbox: Pick<Sandbox, "apiUrl" | "apiKey" | "apiSecret">;
  /** 0 = any free port. */
  port?: number;
  drainSeconds?: number;
  roots?: string[];
  logLevel?: "error" | "warn" | "info" | "debug";
  /** Default true; false serves MCP sessions (one process, no balancer). */
  stateless?: boolean;
  /** --allow-unconfirmed-deletes: deletes of clients a stateless replica can't ask go ahead. */
  allowUnconfirmedDeletes?: boolean;
}): Promise<Replica> {
  const args = [CLI_PATH, "--http", "--host", "127.0.0.1", "--port", String(input.port ?? 0)];
  if (input.stateless !== false) args.push("--stateless");
  if (input.allowUnconfirmedDeletes) args.push("--allow-unconfirmed-deletes");
  for (const root of input.roots ?? []) args.push("--root", root);
  const child = spawn(process.execPath, args, {
    cwd: path.dirname(path.dirname(CLI_PATH)),
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      VAGON_API_URL: input.sandbox.apiUrl,
      VAGON_API_KEY: input.sandbox.apiKey,
      VAGON_API_SECRET: input.sandbox.apiSecret,
      VAGON_MCP_LOG_LEVEL: input.logLevel ?? "info",
      VAGON_MCP_DRAIN_SECONDS: String(input.drainSeconds ?? 25),
      VAGON_MCP_HTTP_TOKEN: "",
    },
  });
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
    for (const watcher of watchers) watcher();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const waitForStderr = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (typeof text === "string" ? stderr.includes(text) : text.test(stderr)) {
          watchers.delete(check);
          resolve();
        }
      };
      watchers.add(check);
      check();
      void exited.then(() => {
        if (watchers.delete(check))
          reject(new Error(`the replica exited before logging ${text}:\n${stderr}`));
      });
    });

  // The endpoint line is printed once the server listens (and so can serve).
  await waitForStderr(/MCP endpoint: http:\/\/127\.0\.0\.1:\d+\/mcp/);
  const url = /MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)?.[1] as string;
  const port = Number(new URL(url).port);
  return {
    port,
    url,
    pid: child.pid as number,
    child,
    exited,
    stderr: () => stderr,
    waitForStderr,
    signal: (signal) => {
      child.kill(signal);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
