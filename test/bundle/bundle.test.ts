// The MCP Bundle as Claude Desktop installs it: built from dist/ (npm test builds dist/ first),
// accepted by `mcpb validate`, small, and — unpacked into a folder with nothing else installed,
// its settings substituted as the host does — a working server a real client can drive.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { buildBundle } from "../../scripts/bundle.mjs";
import { SEED } from "../../src/sandbox/index.js";
import { serverJsonErrors } from "../registry/schema.js";

interface Manifest {
  version: string;
  tools: { name: string; description?: string }[];
  server: {
    entry_point: string;
    mcp_config: { command: string; args: string[]; env: Record<string, string> };
  };
  user_config: Record<string, { type: string; required?: boolean; sensitive?: boolean; default?: unknown }>;
}
type Settings = Record<string, string | boolean | string[]>;
/** A setting as written in mcp_config, and as the host leaves it when the setting is empty. */
const placeholder = (key: string) => `\${user_config.${key}}`;

let work: string;
let bundlePath: string;
let unpacked: string;
let entryNames: string[];
let manifest: Manifest;
let built: Awaited<ReturnType<typeof buildBundle>>;

/** Unpacks the zip with yauzl, as the host does: every entry under `into`. */
async function unzip(zipPath: string, into: string): Promise<string[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      const target = path.join(into, entry.fileName);
      if (entry.fileName.endsWith("/")) {
        fs.mkdir(target, { recursive: true }).then(() => zip.readEntry(), reject);
        return;
      }
      zip.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  return names;
}

/**
 * The launch command the host builds from mcp_config: `${__dirname}` is the unpacked folder, a
 * setting is the user's value or its default, a list (several folders) becomes one argument per
 * item, and a setting with neither is left as the literal text — the case the CLI must take as unset.
 */
function hostLaunch(settings: Settings) {
  const settingOf = (key: string) => settings[key] ?? manifest.user_config[key]?.default;
  const substitute = (text: string) =>
    text.replaceAll(`\${__dirname}`, unpacked).replace(/\$\{user_config\.(\w+)\}/g, (whole, key: string) => {
      const value = settingOf(key);
      return value === undefined ? whole : String(value);
    });
  const { command, args, env } = manifest.server.mcp_config;
  return {
    command,
    args: args.flatMap((arg) => {
      const key = /^\$\{user_config\.(\w+)\}$/.exec(arg)?.[1];
      const value = key === undefined ? undefined : settingOf(key);
      return Array.isArray(value) ? value : [substitute(arg)];
    }),
    env: Object.fromEntries(Object.entries(env).map(([name, value]) => [name, substitute(value)])),
  };
}

/** Starts the unpacked bundle as the host would and connects a real client to it. */
async function launch(settings: Settings): Promise<{ client: Client; stderr: () => string }> {
  const { command, args, env } = hostLaunch(settings);
  expect(command).toBe("node");
  const transport = new StdioClientTransport({
    // The host's own Node; only what the host passes, no NODE_PATH, no project node_modules.
    command: process.execPath,
    args,
    env: {
      ...env,
      PATH: process.env.PATH ?? "",
      TMPDIR: work,
      XDG_CACHE_HOME: path.join(work, "cache"),
      VAGON_SANDBOX_ZIP_MS: "0",
    },
    cwd: unpacked,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

function textOf(result: unknown): string {
  return ((result as CallToolResult).content ?? [])
    .map((item) => (item.type === "text" ? item.text : ""))
    .join("\n");
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-bundle-test-"));
  bundlePath = path.join(work, "vagon-files-mcp.mcpb");
  built = await buildBundle({ outputPath: bundlePath });
  unpacked = path.join(work, "unpacked");
  entryNames = await unzip(bundlePath, unpacked);
  manifest = JSON.parse(await fs.readFile(path.join(unpacked, "manifest.json"), "utf8")) as Manifest;
}, 60_000);

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe("the MCP Bundle", () => {
  it("is accepted by mcpb validate, stays small, and holds the built server without node_modules", async () => {
    const cli = path.resolve("node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
    const validated = spawnSync(process.execPath, [cli, "validate", path.join(unpacked, "manifest.json")], {
      encoding: "utf8",
    });
    expect(validated.status, validated.stdout + validated.stderr).toBe(0);
    expect((await fs.stat(bundlePath)).size).toBeLessThanOrEqual(10 * 1024 * 1024);
    expect(entryNames.filter((name) => name.includes("node_modules"))).toEqual([]);
    expect(entryNames).toEqual(
      expect.arrayContaining(["manifest.json", "icon.png", "dist/cli.js", "dist/server.cjs"]),
    );
    expect(entryNames.some((name) => name.endsWith(".map"))).toBe(false);
    expect(readFileSync(path.join(unpacked, "icon.png")).subarray(1, 4).toString()).toBe("PNG");
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(manifest.version).toBe(version);
  });

  it("comes with the registry entry to publish beside it: server.json with this file's SHA-256", async () => {
    const serverJson = JSON.parse(await fs.readFile(built.serverJsonPath, "utf8")) as {
      packages: { registryType: string; fileSha256?: string }[];
    };
    expect(serverJsonErrors(serverJson)).toEqual([]);
    const digest = createHash("sha256")
      .update(await fs.readFile(bundlePath))
      .digest("hex");
    expect(serverJson.packages.find((entry) => entry.registryType === "mcpb")?.fileSha256).toBe(digest);
  });

  it("asks for key and secret as secrets, folders, read-only and the sandbox, and requires none", () => {
    const settings = manifest.user_config;
    expect(Object.keys(settings).sort()).toEqual([
      "api_key",
      "api_secret",
      "folders",
      "read_only",
      "sandbox",
    ]);
    expect(settings.api_key).toMatchObject({ type: "string", sensitive: true });
    expect(settings.api_secret).toMatchObject({ type: "string", sensitive: true });
    expect(settings.folders).toMatchObject({ type: "directory", multiple: true });
    expect(settings.read_only?.type).toBe("boolean");
    expect(settings.sandbox?.type).toBe("boolean");
    expect(Object.values(settings).filter((setting) => setting.required)).toEqual([]);
  });

  it("launched as the host does, with the sandbox and a chosen folder, lists its tools and saves into the folder", async () => {
    const chosen = path.join(work, "My Vagon Files");
    await fs.mkdir(chosen);
    const { client } = await launch({ sandbox: true, folders: [chosen] });
    try {
      const { tools } = await client.listTools();
      // The manifest's tool list is the server's own: it can't drift.
      expect(manifest.tools.map((tool) => tool.name)).toEqual(tools.map((tool) => tool.name));

      const listing = await client.callTool({ name: "list_files", arguments: {} });
      expect(listing.isError, textOf(listing)).toBeFalsy();
      expect(textOf(listing)).toContain("Project");

      const saved = await client.callTool({
        name: "download_files",
        arguments: { file_ids: [SEED.briefFileId], save_to: path.join(chosen, "from-vagon") },
      });
      expect(saved.isError, textOf(saved)).toBeFalsy();
      const savedTo = (saved.structuredContent as { saved_to: string }).saved_to;
      expect(path.dirname(savedTo)).toBe(path.join(chosen, "from-vagon"));
      expect((await fs.stat(savedTo)).size).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("settings left empty reach the server as unset, never as a literal placeholder", async () => {
    // Only the sandbox ticked: key, secret and folders stay literal placeholders in the launch.
    const launchLine = hostLaunch({ sandbox: true });
    expect(launchLine.args).toContain(placeholder("folders"));
    expect(launchLine.env.VAGON_API_KEY).toBe(placeholder("api_key"));
    const { client, stderr } = await launch({ sandbox: true });
    try {
      const { tools } = await client.listTools();
      // read_only fell back to its default (false): the tools that change things are there.
      expect(tools.map((tool) => tool.name)).toContain("delete_file");
      // No folder chosen: the sandbox's fresh folder, not one named after the placeholder.
      const saved = await client.callTool({
        name: "download_files",
        arguments: { file_ids: [SEED.briefFileId], save_to: "" },
      });
      expect(saved.isError, textOf(saved)).toBeFalsy();
      expect(stderr()).toContain("use the fresh folder");
      expect(stderr()).not.toContain("user_config");
    } finally {
      await client.close();
    }
  });

  it("with nothing set, says what to fill in instead of taking a placeholder for a key", () => {
    const { args, env } = hostLaunch({});
    const started = spawnSync(process.execPath, args, {
      cwd: unpacked,
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(started.status).toBe(2);
    expect(started.stderr).toContain("Missing VAGON_API_KEY and VAGON_API_SECRET");
    expect(started.stderr).toContain("sandbox setting");
    expect(existsSync(path.join(unpacked, "node_modules"))).toBe(false);
  });
});
