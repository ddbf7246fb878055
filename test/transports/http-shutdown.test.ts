// A replica stopped the way an orchestrator stops it (SIGTERM): it says so on /healthz, takes
// no new work, finishes what is in flight within its bound, hands a zip wait that can't finish
// back as a resumable download_id, and exits 0. Real processes (the built server) against one
// in-process sandbox whose zip jobs are held until the test releases them.
import net from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { briefKeepAliveFetch, type Replica, startReplica } from "../helpers/replicas.js";

/** Long enough that no job finishes by itself while a test runs. */
const HELD_MS = 60 * 60 * 1000;

let sandbox: Sandbox;
let folderId: number;
const replicas: Replica[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ zipJob: { pendingMs: 0, processingMs: HELD_MS } });
  folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "Shot 12" });
  await sandbox.addFile({ parentId: folderId, name: "frame-1.txt", content: "one" });
  await sandbox.addFile({ parentId: folderId, name: "frame-2.txt", content: "two" });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => {})));
  await Promise.all(replicas.splice(0).map((replica) => replica.stop()));
});

afterAll(async () => {
  await sandbox?.close();
});

async function replica(drainSeconds: number): Promise<Replica> {
  const started = await startReplica({ sandbox, drainSeconds });
  replicas.push(started);
  return started;
}

async function connect(target: Replica): Promise<Client> {
  const client = new Client({ name: "shutdown-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(target.url), { fetch: briefKeepAliveFetch() }),
  );
  clients.push(client);
  return client;
}

/** One raw HTTP/1.0 request (answered in one piece, then closed) on a socket opened earlier (before the replica began to drain). */
function requestOn(socket: net.Socket, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.once("error", reject);
    socket.once("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      resolve({ status, body: received.split("\r\n\r\n").slice(1).join("\r\n\r\n") });
    });
    socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

function connectRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

/** Starts a zip of the folder and resolves once the replica is polling the job at the sandbox. */
async function startZipWait(client: Client) {
  const before = sandbox.requests.length;
  const call = client.callTool(
    { name: "download_files", arguments: { directory_id: folderId, wait_seconds: 600 } },
    undefined,
    { timeout: 60_000 },
  ) as Promise<CallToolResult>;
  await expect
    .poll(() => sandbox.requests.slice(before).some((request) => request.route === "download-status"))
    .toBe(true);
  const started = sandbox.requests.slice(before).find((request) => request.route === "download-status");
  const downloadId = Number(/downloads\/(\d+)/.exec(started?.path ?? "")?.[1]);
  return { call, downloadId };
}

describe("a replica stopped with SIGTERM", () => {
  it("says ready, then draining; refuses new connections; finishes the call in flight and exits 0", async () => {
    const target = await replica(20);
    const early = await requestOn(await openSocket(target.port), "/healthz");
    expect(early).toEqual({ status: 200, body: "ready" });

    const client = await connect(target);
    const { call, downloadId } = await startZipWait(client);
    // A connection opened before the signal, as a health checker keeps one.
    const checker = await openSocket(target.port);

    target.signal("SIGTERM");
    await target.waitForStderr("draining: 1 requests in flight");
    expect(await requestOn(checker, "/healthz")).toEqual({ status: 503, body: "draining" });
    expect(await connectRefused(target.port)).toBe("ECONNREFUSED");

    sandbox.releaseZipJob(downloadId);
    const result = await call;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: "uploaded", download_id: downloadId });
    expect(await target.exited).toEqual({ code: 0, signal: null });
  });

  it("hands a zip wait that outlasts the bound back as processing + download_id; another replica finishes it", async () => {
    const draining = await replica(2);
    const { call, downloadId } = await startZipWait(await connect(draining));

    draining.signal("SIGTERM");
    const result = await call;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: "processing", download_id: downloadId });
    expect(JSON.stringify(result.content)).toContain(`get_download with download_id=${downloadId}`);
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    // Nothing was aborted: the job lives on at Vagon.
    expect(sandbox.getJob(downloadId)?.status).toBe("processing");

    const other = await connect(await replica(20));
    sandbox.releaseZipJob(downloadId);
    const picked = (await other.callTool({
      name: "get_download",
      arguments: { download_id: downloadId, wait_seconds: 30 },
    })) as CallToolResult;
    expect(picked.isError, JSON.stringify(picked.content)).toBeFalsy();
    expect(picked.structuredContent).toMatchObject({ status: "uploaded", download_id: downloadId });
  });

  it("a stateful server closes its idle sessions (and their GET streams) instead of waiting on them", async () => {
    const stateful = await startReplica({ sandbox, drainSeconds: 20, stateless: false });
    replicas.push(stateful);
    const client = await connect(stateful);
    await client.listTools();
    stateful.signal("SIGTERM");
    expect(await stateful.exited).toEqual({ code: 0, signal: null });
    expect(stateful.stderr()).not.toContain("drain bound reached");
  });

  it("with nothing in flight exits 0 at once", async () => {
    const idle = await replica(20);
    await connect(idle).then((client) => client.listTools());
    idle.signal("SIGTERM");
    expect(await idle.exited).toEqual({ code: 0, signal: null });
    expect(idle.stderr()).toContain("draining: 0 requests in flight");
  });
});
