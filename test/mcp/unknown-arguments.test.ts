// Unknown argument names are refused on every tool, naming the valid inputs (SPEC §2): a
// camelCased `parentId` must not silently list the root, and nothing reaches Vagon.
import { describe, expect, it } from "vitest";
import { closestName } from "../../src/mcp/kit/unknown-arguments.js";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";

const { harness, sandbox } = useHarness({ logLevel: "info" });

describe("unknown arguments", () => {
  it("refuses list_files {parentId} with a did-you-mean, and lists nothing", async () => {
    sandbox.clearRequests();
    const result = await harness.callTool("list_files", { parentId: SEED.projectFolderId });
    expect(result.isError).toBe(true);
    const text = toolText(result);
    expect(text).toMatch(/"parentId" \(did you mean parent_id\?\)/);
    expect(text).toMatch(/location, machine_id, parent_id, query/);
    expect(sandbox.requests).toHaveLength(0);
  });

  it("refuses a name no input resembles on every tool, listing that tool's inputs", async () => {
    const { tools } = await harness.mcp.listTools();
    expect(tools.length).toBeGreaterThan(5);
    sandbox.clearRequests();
    for (const tool of tools) {
      const result = await harness.callTool(tool.name, { bogus: 1 });
      expect(result.isError, tool.name).toBe(true);
      const text = toolText(result);
      expect(text, tool.name).toMatch(/does not take "bogus"/);
      for (const name of Object.keys(tool.inputSchema.properties ?? {}))
        expect(text, tool.name).toContain(name);
      // Hosts can see it too: the advertised schema allows nothing else.
      expect(tool.inputSchema).toMatchObject({ additionalProperties: false });
    }
    expect(sandbox.requests).toHaveLength(0);
  });

  it("guesses camelCase, dashed and slightly misspelt names, and nothing for unrelated ones", () => {
    const valid = ["file_ids", "directory_id", "save_to", "extract", "wait_seconds"];
    expect(closestName("fileIds", valid)).toBe("file_ids");
    expect(closestName("save-to", valid)).toBe("save_to");
    expect(closestName("waitSeconds", valid)).toBe("wait_seconds");
    expect(closestName("extarct", valid)).toBe("extract");
    expect(closestName("bogus", valid)).toBeUndefined();
  });
});
