// README's first screen as a new user reads it: one row per host, each pointing at a command or a
// JSON snippet that works when pasted — the snippets are launched here exactly as written, with
// only the paths, key and secret filled in (the key and secret those of a sandbox standing in
// for Vagon). The `npx` form is only ever offered as the published package's; every variable the
// CLI reads is in the configuration table.
import { readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";

const readme = readFileSync("README.md", "utf8");
const checkout = path.resolve(".");
let sandbox: Sandbox;
let work: string;
let folder: string;

interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  work = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-readme-hosts-"));
  folder = path.join(work, "a folder");
  await fs.mkdir(folder);
});

afterAll(async () => {
  await sandbox?.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

/** What the user fills in: their node, their checkout, their folder, their key and secret. */
function fillIn(text: string): string {
  return text
    .replaceAll("/absolute/path/to/node", process.execPath)
    .replaceAll("/absolute/path/to/vagon-files-mcp", checkout)
    .replaceAll("/absolute/path/to/a/folder", folder)
    .replaceAll("<your key>", SEED.apiKey)
    .replaceAll("<your secret>", sandbox.apiSecret)
    .replaceAll('"$PWD', `"${checkout}`)
    .replaceAll('"$HOME/vagon"', `"${folder}"`);
}

/** The README's section from `heading` to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)?.[0] ?? "##";
  const rest = readme.slice(start + heading.length);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

function jsonBlocks(text: string): unknown[] {
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]!));
}

/** `claude mcp add NAME -e K=V … -- COMMAND ARGS…` → what Claude Code launches. */
function claudeMcpAdd(line: string): Launch {
  const words = [...fillIn(line.replace(/\\\n\s*/g, " ")).matchAll(/"([^"]*)"|(\S+)/g)].map(
    (match) => match[1] ?? match[2]!,
  );
  expect(words.slice(0, 3)).toEqual(["claude", "mcp", "add"]);
  const separator = words.indexOf("--");
  const env: Record<string, string> = {};
  words.slice(3, separator).forEach((word, index, options) => {
    if (options[index - 1] === "-e")
      env[word.slice(0, word.indexOf("="))] = word.slice(word.indexOf("=") + 1);
  });
  const [command, ...args] = words.slice(separator + 1);
  return { command: command === "node" ? process.execPath : command!, args, env };
}

/** Starts the server as the host would and lists its tools and the shared root. */
async function connect({ command, args, env }: Launch): Promise<{ tools: string[]; listing: string }> {
  const transport = new StdioClientTransport({
    command,
    args,
    // The sandbox stands in for Vagon; a host would send the request to api.vagon.io.
    env: { ...env, PATH: process.env.PATH ?? "", TMPDIR: work, VAGON_API_URL: sandbox.apiUrl },
    stderr: "ignore",
  });
  const client = new Client({ name: "readme-host", version: "1.0.0" });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: "list_files", arguments: {} });
    expect(result.isError).toBeFalsy();
    const listing = (result.content as { type: string; text?: string }[])
      .map((item) => item.text ?? "")
      .join("\n");
    return { tools: tools.map((tool) => tool.name), listing };
  } finally {
    await client.close();
  }
}

describe("README's host table", () => {
  const firstScreen = readme.slice(0, readme.indexOf("## Quick start"));

  it("comes first, one row per host, each pointing at what to do", () => {
    for (const host of ["Claude Desktop", "Claude Code", "Cursor, VS Code", "claude.ai, ChatGPT"]) {
      expect(firstScreen).toMatch(new RegExp(`\\n\\| ${host} \\|`));
    }
    expect(firstScreen).toContain("npm run bundle");
    expect(firstScreen).toContain("dist/vagon-files-mcp.mcpb");
    expect(firstScreen).toContain("command -v node");
    expect(firstScreen).toContain("(#remote-oauth)");
    for (const heading of ["### Claude Desktop", "### Cursor and VS Code", "### Claude Code"]) {
      expect(readme).toContain(`\n${heading}\n`);
    }
  });

  it("offers npx only as the form for the published package", () => {
    const npxLines = readme.split("\n").filter((line) => /\bnpx\b.*vagon-files-mcp|"npx"/.test(line));
    expect(npxLines.length).toBeGreaterThan(0);
    for (const line of npxLines) expect(line).toMatch(/published/);
  });

  it("lists every environment variable the CLI reads in the configuration table", () => {
    const table = section("## Configuration");
    const read = new Set(
      [
        ...readFileSync("src/config.ts", "utf8").matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g),
        ...readFileSync("src/launcher.ts", "utf8").matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g),
      ].map((match) => match[1]!),
    );
    // The platform's own folders, not settings of ours.
    read.delete("LOCALAPPDATA");
    read.delete("XDG_CACHE_HOME");
    expect([...read].filter((name) => !table.includes(`\`${name}`))).toEqual([]);
  });

  it("the Cursor and VS Code JSON, pasted with the user's paths, key and secret, start a working server", async () => {
    const [cursor, vscode] = jsonBlocks(section("### Cursor and VS Code")).map((block) =>
      JSON.parse(fillIn(JSON.stringify(block))),
    ) as [{ mcpServers: Record<string, Launch> }, { servers: Record<string, Launch & { type: string }> }];
    const fromCursor = cursor.mcpServers["vagon-files"]!;
    const fromVsCode = vscode.servers["vagon-files"]!;
    expect(fromVsCode.type).toBe("stdio");
    expect(path.isAbsolute(fromCursor.command)).toBe(true);
    for (const result of await Promise.all([connect(fromCursor), connect(fromVsCode)])) {
      expect(result.tools).toContain("download_files");
      expect(result.listing).toContain("Project");
    }
  });

  it("mcp.json.example's account and sandbox entries start a working server", async () => {
    const example = JSON.parse(fillIn(readFileSync("mcp.json.example", "utf8"))) as {
      mcpServers: Record<string, Launch>;
    };
    const results = await Promise.all(Object.values(example.mcpServers).map((server) => connect(server)));
    expect(results).toHaveLength(2);
    for (const result of results) expect(result.listing).toContain("Project");
  });

  it("the claude mcp add lines launch what they say: on the sandbox, and with an account and a folder", async () => {
    const sandboxLine = /`(claude mcp add vagon-files -e VAGON_MCP_SANDBOX=1 -- [^`]+)`/.exec(
      firstScreen,
    )?.[1];
    expect(sandboxLine).toBeDefined();
    const accountLine =
      /```sh\nmkdir -p "\$HOME\/vagon"\n(claude mcp add vagon-files \\\n[\s\S]*?)\n```/.exec(
        section("### Claude Code"),
      )?.[1];
    expect(accountLine).toBeDefined();
    const account = claudeMcpAdd(accountLine!);
    expect(account.args.at(-1)).toBe(folder);
    const results = await Promise.all([connect(claudeMcpAdd(sandboxLine!)), connect(account)]);
    for (const result of results) expect(result.listing).toContain("Project");
  });
});
