// delete_file: an agent deletes a file or folder, and a host that can ask lets the user decide
// first. Real sandbox, real client, real server, SDK client in memory.
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { startHarness, toolText, useHarness } from "../../helpers/harness.js";

const { sandbox } = useHarness();

describe("delete_file with a host that asks the user", () => {
  it("keeps the folder when the user declines, and deletes it when the user accepts", async () => {
    const asking = await startHarness({ sandbox, capabilities: { elicitation: {} } });
    try {
      let answer: "decline" | "accept" = "decline";
      const prompts: string[] = [];
      asking.mcp.setRequestHandler(ElicitRequestSchema, async (request) => {
        prompts.push(request.params.message);
        return answer === "accept" ? { action: "accept", content: { confirm: true } } : { action: "decline" };
      });
      const folderId = sandbox.addDirectory({ parentId: 0, name: "Maybe Delete" });
      await sandbox.addFile({ parentId: folderId, name: "inside.txt", content: "x" });

      const declined = await asking.callTool("delete_file", { file_id: folderId });
      expect(declined.isError).toBeFalsy();
      expect(declined.structuredContent).toEqual({ file_id: folderId, deleted: false });
      expect(toolText(declined)).toMatch(/not deleted/i);
      expect(sandbox.getEntry(folderId)?.deleted).toBe(false);

      answer = "accept";
      const accepted = await asking.callTool("delete_file", { file_id: folderId });
      expect(accepted.isError, toolText(accepted)).toBeFalsy();
      expect(accepted.structuredContent).toEqual({
        file_id: folderId,
        deleted: true,
        name: "Maybe Delete",
        kind: "directory",
        size: 1,
      });
      expect(sandbox.children(0).some((entry) => entry.id === folderId)).toBe(false);
      expect(prompts).toHaveLength(2);
      expect(prompts[0]).toContain(String(folderId));
      // The user is told what goes: a folder by name, with what is inside it.
      expect(prompts[0]).toMatch(
        /the folder "Maybe Delete" \(id \d+, 1 byte in 1 file\) and everything in it/,
      );
    } finally {
      await asking.close({ keepSandbox: true });
    }
  });

  it("names a file, with its size, in the delete confirmation", async () => {
    const asking = await startHarness({ sandbox, capabilities: { elicitation: {} } });
    try {
      const prompts: string[] = [];
      asking.mcp.setRequestHandler(ElicitRequestSchema, async (request) => {
        prompts.push(request.params.message);
        return { action: "decline" };
      });
      const fileId = await sandbox.addFile({
        parentId: 0,
        name: "draft notes.txt",
        content: "x".repeat(2048),
      });

      const declined = await asking.callTool("delete_file", { file_id: fileId });
      expect(declined.structuredContent).toEqual({ file_id: fileId, deleted: false });
      expect(prompts[0]).toMatch(/^Delete the file "draft notes.txt" \(id \d+, 2(\.0)? KB\)/);
      expect(prompts[0]).not.toMatch(/folder/);
      expect(sandbox.getEntry(fileId)?.deleted).toBe(false);
    } finally {
      await asking.close({ keepSandbox: true });
    }
  });

  it("deletes nothing when the user dismisses the question", async () => {
    const asking = await startHarness({ sandbox, capabilities: { elicitation: {} } });
    try {
      asking.mcp.setRequestHandler(ElicitRequestSchema, async () => ({ action: "cancel" }));
      sandbox.clearRequests();
      const result = await asking.callTool("delete_file", { file_id: SEED.briefFileId });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ file_id: SEED.briefFileId, deleted: false });
      expect(toolText(result)).toMatch(/Nothing was changed/);
      expect(sandbox.requests.filter((request) => request.route === "delete")).toEqual([]);
      expect(sandbox.getEntry(SEED.briefFileId)?.deleted).toBe(false);
    } finally {
      await asking.close({ keepSandbox: true });
    }
  });
});
