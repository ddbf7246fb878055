// The promises SECURITY.md makes that the other hardening suites don't already cover: read-only
// mode hides every tool that changes something, a declined confirmation deletes nothing,
// downloads never overwrite, and HTTP refuses to serve a non-loopback address without a token.
import * as fs from "node:fs/promises";
import path from "node:path";
import { ElicitRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { READ_ONLY_TOOLS } from "../../src/mcp/server.js";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";

const { harness, sandbox } = useHarness();

describe("read-only mode", () => {
  const { harness: readOnly } = useHarness({ sandbox, config: { readOnly: true } });

  it("offers no tool that changes anything at Vagon, and refuses calls to them without a request", async () => {
    const names = (await readOnly.mcp.listTools()).tools.map((tool) => tool.name).sort();
    expect(names).toEqual([...READ_ONLY_TOOLS].sort());
    sandbox.clearRequests();
    for (const [name, args] of [
      ["upload_file", { content: "x", file_name: "x.txt" }],
      ["create_directory", { name: "x" }],
      ["delete_file", { file_id: SEED.sharedTextFileId }],
      ["delete_files", { file_ids: [SEED.sharedTextFileId] }],
      ["cancel_download", { download_id: 5085 }],
    ] as const) {
      const outcome = await readOnly.callTool(name, args).catch((error: unknown) => error);
      if (outcome instanceof McpError) expect(outcome.message).toMatch(/not found|unknown|disabled/i);
      else expect((outcome as { isError?: boolean }).isError, name).toBe(true);
    }
    expect(sandbox.requests).toEqual([]);
    expect(sandbox.getEntry(SEED.sharedTextFileId)?.deleted).toBe(false);
  });
});

describe("delete_file with a host that can ask the user", () => {
  const { harness: asking } = useHarness({ sandbox, capabilities: { elicitation: {} } });

  it.each(["decline", "cancel"] as const)("deletes nothing when the user answers %s", async (action) => {
    const prompts: string[] = [];
    asking.mcp.setRequestHandler(ElicitRequestSchema, async (request) => {
      prompts.push(request.params.message);
      return { action };
    });
    const fileId = await sandbox.addFile({ parentId: 0, name: `keep-${action}.txt`, content: "keep me" });
    sandbox.clearRequests();
    const result = await asking.callTool("delete_file", { file_id: fileId });
    expect(result.isError).toBeFalsy();
    expect(toolText(result)).toMatch(/not deleted/i);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain(String(fileId));
    expect(sandbox.getEntry(fileId)?.deleted).toBe(false);
    expect(sandbox.requests.filter((request) => request.method === "DELETE")).toEqual([]);
  });

  it("deletes when the user confirms", async () => {
    asking.mcp.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { confirm: true },
    }));
    const fileId = await sandbox.addFile({ parentId: 0, name: "delete-me.txt", content: "bye" });
    const result = await asking.callTool("delete_file", { file_id: fileId });
    expect(result.isError, toolText(result)).toBeFalsy();
    expect(sandbox.getEntry(fileId)?.deleted).toBe(true);
  });
});

describe("downloads", () => {
  it("never overwrite: the user's file stays, copies get a number", async () => {
    const folder = path.join(harness.root, "inbox");
    await fs.mkdir(folder);
    const name = sandbox.getEntry(SEED.sharedTextFileId)?.name as string;
    await fs.writeFile(path.join(folder, name), "the user's own version");
    const saved: string[] = [];
    for (let copy = 0; copy < 2; copy += 1) {
      const result = await harness.callTool("download_files", {
        file_ids: [SEED.sharedTextFileId],
        save_to: folder,
      });
      expect(result.isError, toolText(result)).toBeFalsy();
      saved.push(path.basename((result.structuredContent as { saved_to: string }).saved_to));
    }
    const stem = name.replace(/\.[^.]+$/, "");
    const extension = name.slice(stem.length);
    expect(saved).toEqual([`${stem} (1)${extension}`, `${stem} (2)${extension}`]);
    expect(await fs.readFile(path.join(folder, name), "utf8")).toBe("the user's own version");
  });
});

describe("the HTTP transport's defaults", () => {
  it("binds to loopback unless told otherwise", () => {
    const loaded = loadConfig(["--http", "--sandbox"], {});
    expect(loaded.command === "serve" && loaded.config.http.host).toBe("127.0.0.1");
  });

  it.each(["0.0.0.0", "192.168.1.20", "::"])("refuses to serve %s without a token", (host) => {
    expect(() => loadConfig(["--http", "--sandbox", "--host", host], {})).toThrow(ConfigError);
    expect(() => loadConfig(["--http", "--sandbox", "--host", host], {})).toThrow(/VAGON_MCP_HTTP_TOKEN/);
  });

  it("refuses a token too short to resist guessing", () => {
    expect(() =>
      loadConfig(["--http", "--sandbox", "--host", "0.0.0.0"], { VAGON_MCP_HTTP_TOKEN: "short" }),
    ).toThrow(/too short/);
  });
});
