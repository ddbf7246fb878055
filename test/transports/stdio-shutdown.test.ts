// How a stdio session ends with work in flight: the host closes stdin, or the process is sent
// SIGTERM. Calls in flight are aborted cleanly — no partial file left in the root, a zip job
// nobody will pick up cancelled at Vagon — and the process exits 0. The built binary, spoken
// to over its own pipes so the test holds the process (its stdin, its signals, its exit code).
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { CLI_PATH } from "../helpers/replicas.js";

/** An MCP client transport over a child process's stdin/stdout that leaves the process to the test. */
class ChildStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #buffer = new ReadBuffer();
  constructor(private readonly child: ChildProcess) {}
  async start() {
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.#buffer.append(chunk);
      for (let message = this.#buffer.readMessage(); message; message = this.#buffer.readMessage()) {
        this.onmessage?.(message);
      }
    });
    this.child.once("exit", () => this.onclose?.());
  }
  async send(message: JSONRPCMessage) {
    this.child.stdin?.write(serializeMessage(message));
  }
  async close() {
    this.child.stdin?.end();
  }
}

let sandbox: Sandbox;
let workDir: string;
let root: string;
let fileId: number;
let folderId: number;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ zipJob: { pendingMs: 0, processingMs: 60 * 60 * 1000 } });
  folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "Held" });
  fileId = await sandbox.addFile({ parentId: folderId, name: "render.bin", content: Buffer.alloc(4096, 7) });
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-stdio-stop-")));
});

afterEach(async () => {
  sandbox.setFaults(null);
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(async () => {
  await sandbox?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

async function startSession() {
  root = await fs.mkdtemp(path.join(workDir, "root-"));
  const child = spawn(process.execPath, [CLI_PATH, "--root", root], {
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      VAGON_API_URL: sandbox.apiUrl,
      VAGON_API_KEY: sandbox.apiKey,
      VAGON_API_SECRET: sandbox.apiSecret,
      VAGON_MCP_LOG_LEVEL: "warn",
    },
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const client = new Client({ name: "stdio-stop-test", version: "1.0.0" });
  await client.connect(new ChildStdioTransport(child));
  return { child, client, exited, stderr: () => stderr };
}

describe("a stdio session that ends with work in flight", () => {
  it("the host closes stdin mid-download: the partial file is removed and the process exits 0", async () => {
    // The object's bytes are held back, so the download sits with its temp file open.
    sandbox.setFaults({ routes: { "s3-get": { latency: 1, latencyMs: 10 * 60 * 1000 } } });
    const session = await startSession();
    const call = session.client
      .callTool({ name: "download_files", arguments: { file_ids: [fileId], save_to: root } })
      .catch((error: unknown) => error);
    await expect
      .poll(async () => (await fs.readdir(root)).some((name) => name.endsWith(".partial")))
      .toBe(true);

    session.child.stdin?.end();
    expect(await session.exited, session.stderr()).toEqual({ code: 0, signal: null });
    expect(await fs.readdir(root)).toEqual([]);
    await call;
  });

  it("SIGTERM during a zip wait cancels the job at Vagon, leaves nothing behind and exits 0", async () => {
    const session = await startSession();
    const before = sandbox.requests.length;
    const call = session.client
      .callTool({
        name: "download_files",
        arguments: { directory_id: folderId, save_to: root, wait_seconds: 600 },
      })
      .catch((error: unknown) => error);
    await expect
      .poll(() => sandbox.requests.slice(before).find((request) => request.route === "download-status"))
      .toBeTruthy();
    const poll = sandbox.requests.slice(before).find((request) => request.route === "download-status");
    const downloadId = Number(/downloads\/(\d+)/.exec(poll?.path ?? "")?.[1]);
    expect(sandbox.getJob(downloadId)?.status).toBe("processing");

    session.child.kill("SIGTERM");
    expect(await session.exited, session.stderr()).toEqual({ code: 0, signal: null });
    expect(sandbox.getJob(downloadId)?.status).toBe("cancelled");
    expect(await fs.readdir(root)).toEqual([]);
    await call;
  });
});
