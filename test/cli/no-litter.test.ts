// A desktop host starts a server per conversation: each --sandbox start must leave the temp
// folder as it found it — after a normal exit, Ctrl+C, SIGTERM (even mid start-up), or a start
// that failed on a busy port — while what the user saved stays, and the exit message says where.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";

const cli = path.resolve("dist/cli.js");
let work: string;
let busyPort: Server;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-no-litter-"));
  busyPort = createServer().listen(0, "127.0.0.1");
  await once(busyPort, "listening");
});

afterAll(async () => {
  busyPort?.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

/** "…while starting": the signal lands at the first line the server logs, mid start-up. */
type Ending = "stdin closed" | "SIGINT" | "SIGTERM" | "SIGTERM while starting" | "busy port";

/** One --sandbox run with `tmp` as its temp folder, ended the given way; resolves with its exit code. */
async function runOnce(tmp: string, transport: "stdio" | "http", ending: Ending): Promise<number | null> {
  const port = ending === "busy port" ? String((busyPort.address() as { port: number }).port) : "0";
  const args = transport === "http" ? ["--sandbox", "--http", "--port", port] : ["--sandbox"];
  const child: ChildProcess = spawn(process.execPath, [cli, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, XDG_CACHE_HOME: path.join(work, "cache") },
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  if (ending === "busy port") return exited;
  // Ready: an HTTP server has printed how to connect; a stdio server answers initialize.
  let stderr = "";
  let stdout = "";
  const early = ending === "SIGTERM while starting";
  const ready = new Promise<void>((resolve) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (early || /Press Ctrl\+C/.test(stderr)) resolve();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes('"id":1')) resolve();
    });
  });
  if (transport === "stdio") {
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "litter", version: "1" },
      },
    };
    child.stdin?.write(`${JSON.stringify(initialize)}\n`);
  }
  await Promise.race([ready, exited.then((code) => Promise.reject(new Error(`exited ${code}: ${stderr}`)))]);
  if (ending === "stdin closed") child.stdin?.end();
  else child.kill(early ? "SIGTERM" : ending);
  return exited;
}

describe("--sandbox leaves no litter", () => {
  it("20 starts and stops (stdio and HTTP, signals, a busy port) leave the temp folder as it was", async () => {
    const tmp = path.join(work, "tmp");
    await fs.mkdir(tmp);
    const runs: (readonly [transport: "stdio" | "http", ending: Ending])[] = [
      ...Array.from({ length: 3 }, () => ["stdio", "stdin closed"] as const),
      ...Array.from({ length: 3 }, () => ["stdio", "SIGINT"] as const),
      ...Array.from({ length: 2 }, () => ["stdio", "SIGTERM"] as const),
      ...Array.from({ length: 2 }, () => ["stdio", "SIGTERM while starting"] as const),
      ...Array.from({ length: 3 }, () => ["http", "SIGINT"] as const),
      ...Array.from({ length: 2 }, () => ["http", "SIGTERM"] as const),
      ...Array.from({ length: 1 }, () => ["http", "SIGTERM while starting"] as const),
      ...Array.from({ length: 4 }, () => ["http", "busy port"] as const),
    ];
    expect(runs).toHaveLength(20);
    // Five at a time: each is its own process and temp folders, so they may overlap.
    const codes: (number | null)[] = [];
    for (let start = 0; start < runs.length; start += 5) {
      const batch = runs.slice(start, start + 5);
      codes.push(...(await Promise.all(batch.map(([transport, ending]) => runOnce(tmp, transport, ending)))));
    }
    // The busy port is a failed start (exit 1); every other run stopped cleanly.
    expect(codes.filter((code) => code === 1)).toHaveLength(4);
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it("a download saved in the fresh folder stays after exit, and the exit message says where", async () => {
    const tmp = path.join(work, "tmp-saved");
    await fs.mkdir(tmp);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "--sandbox"],
      env: { PATH: process.env.PATH ?? "", TMPDIR: tmp, XDG_CACHE_HOME: path.join(work, "cache") },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const client = new Client({ name: "no-litter", version: "1.0.0" });
    await client.connect(transport);
    const saved = await client.callTool({
      name: "download_files",
      arguments: { file_ids: [SEED.briefFileId], save_to: "" },
    });
    const savedTo = (saved.structuredContent as { saved_to: string }).saved_to;
    expect(existsSync(savedTo)).toBe(true);
    // Closing ends the server's stdin, as a host does, and waits for the process to be gone.
    await client.close();

    const root = path.join(tmp, path.relative(tmp, savedTo).split(path.sep)[0]!);
    expect(path.basename(root)).toMatch(/^vagon-sandbox-files-/);
    // The user's file, and only the folders that hold it: the sandbox's own storage is gone.
    expect(await fs.readdir(tmp)).toEqual([path.basename(root)]);
    expect((await fs.stat(savedTo)).size).toBeGreaterThan(0);
    expect(stderr).toContain(`stay in ${root}`);
  });
});
