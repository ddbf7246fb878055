// An agent changing Vagon Files through the MCP layer: uploads from disk and inline, folders
// created and deleted (with and without the user's confirmation), and read-only mode.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { type Harness, startHarness, toolText } from "../helpers/harness.js";

interface UploadResult {
  id: number;
  uid: string;
  name: string;
  size: number;
  parts: number;
  download_url: string | null;
}

let sandbox: Sandbox;
let harness: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  harness = await startHarness({ sandbox });
});

afterAll(async () => {
  await harness?.close({ keepSandbox: true });
  await sandbox?.close();
});

async function upload(args: Record<string, unknown>): Promise<UploadResult> {
  const result = await harness.callTool("upload_file", args, { timeoutMs: 60_000 });
  expect(result.isError, toolText(result)).toBeFalsy();
  return result.structuredContent as unknown as UploadResult;
}

describe("upload_file", () => {
  it("uploads an 11 MB local file in 3 parts of 5 MB and the bytes round-trip", async () => {
    const bytes = randomBytes(11 * 1024 * 1024);
    const localPath = path.join(harness.root, "scene.bin");
    await fs.writeFile(localPath, bytes);
    sandbox.clearRequests(); // only this upload's part PUTs are counted
    const uploaded = await upload({ local_path: localPath, chunk_size_mb: 5 });
    expect(uploaded).toMatchObject({ name: "scene.bin", size: bytes.length, parts: 3 });
    expect(sandbox.getEntry(uploaded.id)).toMatchObject({
      status: "upload_completed",
      parentId: SEED.sharedRootId,
    });
    expect((await sandbox.readFile(uploaded.id)).equals(bytes)).toBe(true);
    expect(sandbox.requests.filter((request) => request.route === "s3-put")).toHaveLength(3);
  });

  it("uploads utf8 text given inline, into a machine's storage", async () => {
    const text = "Render notes — ünïcödé ✓\n";
    const uploaded = await upload({
      content: text,
      file_name: "notes.md",
      location: "machine",
      machine_id: SEED.runningMachineId,
    });
    expect(uploaded).toMatchObject({ name: "notes.md", size: Buffer.byteLength(text), parts: 1 });
    expect(sandbox.getEntry(uploaded.id)).toMatchObject({
      machineId: SEED.runningMachineId,
      contentType: "text/markdown",
    });
    expect((await sandbox.readFile(uploaded.id)).toString("utf8")).toBe(text);
  });

  it("uploads binary content given as base64", async () => {
    const bytes = randomBytes(4096);
    const uploaded = await upload({
      content: bytes.toString("base64"),
      encoding: "base64",
      file_name: "blob.bin",
      parent_id: SEED.projectFolderId,
    });
    expect(uploaded.size).toBe(4096);
    expect(sandbox.getEntry(uploaded.id)?.parentId).toBe(SEED.projectFolderId);
    expect((await sandbox.readFile(uploaded.id)).equals(bytes)).toBe(true);
  });

  it("refuses to replace an existing file without overwrite, and adds nothing", async () => {
    const before = sandbox.children(0).map((entry) => entry.id);
    const result = await harness.callTool("upload_file", { content: "replaced?", file_name: "welcome.txt" });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/welcome\.txt|already exists|overwrite/i);
    expect(sandbox.children(0).map((entry) => entry.id)).toEqual(before);
    expect((await sandbox.readFile(SEED.sharedTextFileId)).toString("utf8")).toMatch(/^Welcome/);
  });

  it("refuses a local_path outside the allowed root before contacting Vagon", async () => {
    const secret = path.join(harness.outside, "secret.txt");
    await fs.writeFile(secret, "not for upload");
    sandbox.clearRequests();
    const result = await harness.callTool("upload_file", { local_path: secret });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/outside/i);
    expect(sandbox.requests).toEqual([]);
  });

  it("refuses a symlink inside the root that points outside it, before contacting Vagon", async () => {
    const secret = path.join(harness.outside, "secret-link-target.txt");
    await fs.writeFile(secret, "not for upload");
    const link = path.join(harness.root, "innocent.txt");
    await fs.symlink(secret, link);
    sandbox.clearRequests();
    const result = await harness.callTool("upload_file", { local_path: link });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/outside/i);
    expect(sandbox.requests).toEqual([]);
    expect(sandbox.children(0).some((entry) => entry.name === "innocent.txt")).toBe(false);
  });
});

describe("create_directory and delete_file", () => {
  it("creates a folder and deletes it straight away when the host can't ask the user", async () => {
    const created = await harness.callTool("create_directory", {
      name: "Scratch",
      parent_id: SEED.projectFolderId,
    });
    expect(created.isError, toolText(created)).toBeFalsy();
    const { id } = created.structuredContent as { id: number };
    expect(sandbox.getEntry(id)).toMatchObject({
      name: "Scratch",
      kind: "directory",
      parentId: SEED.projectFolderId,
    });

    const deleted = await harness.callTool("delete_file", { file_id: id });
    expect(deleted.isError, toolText(deleted)).toBeFalsy();
    expect(deleted.structuredContent).toEqual({
      file_id: id,
      deleted: true,
      name: "Scratch",
      kind: "directory",
      size: 0,
    });
    expect(toolText(deleted)).toBe(
      `Deleted the folder "Scratch" (id ${id}, 0 bytes in 0 files) and everything in it.`,
    );
    expect(sandbox.children(SEED.projectFolderId).some((entry) => entry.id === id)).toBe(false);
  });

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
});
