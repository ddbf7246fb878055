// The way hosts launch it: the built binary over stdio, with nothing but protocol on stdout.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { withRecords } from "../helpers/tables.js";

const cli = path.resolve("dist/cli.js");

describe("the stdio server (built binary)", () => {
  let client: Client;
  let transport: StdioClientTransport;
  let root: string;

  beforeAll(async () => {
    await fs.access(cli); // `npm test` builds before vitest runs.
    root = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-stdio-"));
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "--sandbox", "--root", root],
      stderr: "pipe",
    });
    client = new Client({ name: "stdio-test", version: "1.0.0" });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it("lists every tool and lists the sandbox's shared folder", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "cancel_download",
      "complete_upload",
      "create_directory",
      "create_upload_link",
      "delete_file",
      "delete_files",
      "download_files",
      "download_task_bundle",
      "find_files",
      "get_download",
      "list_files",
      "list_machine_content",
      "read_file",
      "storage_usage",
      "upload_file",
    ]);
    const result = await client.callTool({ name: "list_files", arguments: { location: "shared" } });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("welcome.txt");
  });

  it("saves a downloaded file into the root", async () => {
    const listing = await client.callTool({ name: "list_files", arguments: { query: "welcome" } });
    const entry = withRecords<{ entries: { id: number; name: string }[] }>(listing.structuredContent)
      .entries[0]!;
    const result = await client.callTool({
      name: "download_files",
      arguments: { file_ids: [entry.id], save_to: root },
    });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(await fs.readdir(root)).toContain("welcome.txt");
  });
});

describe("the command line", () => {
  it("--help exits 0 and names every flag", () => {
    const run = spawnSync(process.execPath, [cli, "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    for (const flag of ["--root", "--http", "--sandbox", "--read-only", "--stateless", "--api-url"]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it("refuses to start without credentials, saying how to fix it", () => {
    const env = { ...process.env, VAGON_API_KEY: "", VAGON_API_SECRET: "" };
    const run = spawnSync(process.execPath, [cli], { encoding: "utf8", env, input: "" });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/VAGON_API_KEY/);
    expect(run.stderr).toMatch(/--sandbox/);
  });
});

describe("the compiled-code cache", () => {
  let cacheHome: string;
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, "--version"], {
      encoding: "utf8",
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env },
    });
  const cacheFiles = async () => {
    const folder = path.join(cacheHome, "vagon-files-mcp");
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    return Promise.all(
      names.map(async (name) => ({
        name,
        bytes: await fs.readFile(path.join(folder, name)),
        inode: (await fs.stat(path.join(folder, name))).ino,
      })),
    );
  };

  // Each test starts from a cache folder of its own: none relies on what an earlier one wrote.
  beforeEach(async () => {
    cacheHome = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-cache-"));
  });
  afterEach(async () => {
    await fs.rm(cacheHome, { recursive: true, force: true });
  });

  /** A real session: initialize, list the tools, close, as a host does. */
  const serve = async (env: Record<string, string> = {}) => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "--sandbox"],
      env: { ...(process.env as Record<string, string>), XDG_CACHE_HOME: cacheHome, ...env },
      stderr: "ignore",
    });
    const client = new Client({ name: "cache-test", version: "1.0.0" });
    await client.connect(transport);
    await client.listTools();
    await client.close();
  };
  const folder = () => path.join(cacheHome, "vagon-files-mcp");

  it("--version and --help write none: a cache missing the server would stay", async () => {
    expect(run().status).toBe(0);
    expect(
      spawnSync(process.execPath, [cli, "--help"], { env: { ...process.env, XDG_CACHE_HOME: cacheHome } })
        .status,
    ).toBe(0);
    expect(await cacheFiles()).toEqual([]);
  });

  it("is written by the first session and used, unchanged, by the next", async () => {
    await serve();
    // The server writes it as it exits, just after the host closed stdin.
    await expect.poll(async () => (await cacheFiles()).length).toBe(1);
    const [written] = await cacheFiles();
    expect(written!.name).toMatch(/^server-[0-9a-f]{32}\.v8$/);
    expect(written!.bytes.length).toBeGreaterThan(100_000);

    await serve();
    expect(run().status).toBe(0);
    // Only a missing or rejected cache is written again (as a new file renamed into place).
    const after = await cacheFiles();
    expect(after.map((file) => file.inode)).toEqual([written!.inode]);
  });

  it("a corrupt cache is ignored and replaced; one left by another build is removed", async () => {
    await serve();
    await expect.poll(async () => (await cacheFiles()).length).toBe(1);
    const [current] = await cacheFiles();
    await fs.writeFile(path.join(folder(), current!.name), "not V8 code");
    await fs.writeFile(path.join(folder(), "server-00000000000000000000000000000000.v8"), "old build");

    await serve();
    await expect
      .poll(async () => (await cacheFiles()).map((file) => [file.name, file.bytes.length > 100_000]))
      .toEqual([[current!.name, true]]);
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 writes nothing", async () => {
    await fs.rm(folder(), { recursive: true, force: true });
    await serve({ NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(await cacheFiles()).toEqual([]);
  });
});
