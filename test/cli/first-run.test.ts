// A new user's first run, through the built binary: README's quick start (`--sandbox --http`, no
// root) prints a local folder and a connection snippet that works as printed; the README's own
// task-bundle example lands its files in save_to; a configured root that doesn't exist is warned
// about at start-up and named in the error that needs it.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";

const cli = path.resolve("dist/cli.js");

function textOf(result: unknown): string {
  return ((result as CallToolResult).content ?? [])
    .map((item) => (item.type === "text" ? item.text : ""))
    .join("\n");
}

/** Starts the CLI and resolves with everything it wrote to stderr up to `until`. */
function startCli(args: string[], until: RegExp): Promise<{ child: ChildProcess; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      // Zip jobs as quick as the sandbox can make them: the story, not the wait, is under test.
      env: { ...process.env, VAGON_SANDBOX_ZIP_MS: "0" },
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
      if (until.test(stderr)) resolve({ child, stderr });
    });
    child.once("exit", (code) =>
      reject(new Error(`the CLI exited (${code}) before printing ${until}: ${stderr}`)),
    );
  });
}

describe("README's quick start: --sandbox --http with no root", () => {
  let child: ChildProcess;
  let stderr: string;
  let client: Client;
  let folder: string;
  /** What the local folder held when the server printed it, before any test wrote there. */
  let folderAtStart: string[];

  beforeAll(async () => {
    ({ child, stderr } = await startCli(["--sandbox", "--http", "--port", "0"], /Press Ctrl\+C/));
    folder = /Local folder: +(\S+)/.exec(stderr)?.[1] ?? "";
    folderAtStart = await fs.readdir(folder).catch(() => ["(missing)"]);
    // The mcp.json snippet, exactly as printed.
    const snippetText = stderr.slice(stderr.indexOf("{"), stderr.lastIndexOf("}") + 1);
    const snippet = JSON.parse(snippetText) as { mcpServers: Record<string, { type: string; url: string }> };
    const server = Object.values(snippet.mcpServers)[0]!;
    expect(server.type).toBe("http");
    client = new Client({ name: "first-run", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });

  afterAll(async () => {
    await client?.close();
    child?.kill("SIGTERM");
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it("prints a fresh, existing local folder and a claude command for the same URL", async () => {
    expect(folder).toMatch(/vagon-sandbox-files-/);
    expect((await fs.stat(folder)).isDirectory()).toBe(true);
    expect(folderAtStart).toEqual([]);
    expect(stderr).toMatch(
      /claude mcp add --transport http vagon-files-sandbox http:\/\/127\.0\.0\.1:\d+\/mcp/,
    );
  });

  it('unpacks README\'s {"task_id":42,"save_to":"task-42","extract":true} into task-42 itself', async () => {
    const result = await client.callTool({
      name: "download_task_bundle",
      arguments: { task_id: SEED.taskId, save_to: "task-42", extract: true },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const target = path.join(await fs.realpath(folder), "task-42");
    expect((result.structuredContent as { saved_to: string }).saved_to).toBe(target);
    const files = (result.structuredContent as { files: string[] }).files;
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect((await fs.stat(path.join(target, file))).isFile()).toBe(true);
    // No task-42/task-42, and no zip left behind.
    expect((await fs.readdir(target)).some((name) => name === "task-42" || name.endsWith(".zip"))).toBe(
      false,
    );
  });

  it("unpacks into a new folder inside save_to when save_to already holds files, and says so", async () => {
    const busy = path.join(folder, "busy-42");
    await fs.mkdir(busy);
    await fs.writeFile(path.join(busy, "notes.txt"), "mine");
    const result = await client.callTool({
      name: "download_task_bundle",
      arguments: { task_id: SEED.taskId, save_to: "busy-42", extract: true },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const savedTo = (result.structuredContent as { saved_to: string }).saved_to;
    expect(path.dirname(savedTo)).toBe(path.join(await fs.realpath(folder), "busy-42"));
    expect(textOf(result)).toMatch(/already held files, so nothing there was touched/);
    expect(await fs.readFile(path.join(busy, "notes.txt"), "utf8")).toBe("mine");
  });
});

describe("a configured root that doesn't exist", () => {
  it("is warned about at start-up and named in the error of a download that needs it", async () => {
    const missing = path.join(os.tmpdir(), `vagon-missing-root-${process.pid}`, "Users", "you", "vagon");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "--sandbox", "--root", missing],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const client = new Client({ name: "missing-root", version: "1.0.0" });
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: "download_files",
        arguments: { file_ids: [SEED.sharedTextFileId], save_to: "" },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`"${missing}" does not exist`);
      expect(textOf(result)).not.toMatch(/set VAGON_MCP_ROOTS\)/);
      expect(stderr).toContain(`the root ${missing} does not exist`);
    } finally {
      await client.close();
    }
  });
});
