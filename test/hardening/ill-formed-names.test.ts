// A name holding a lone UTF-16 surrogate ("a\ud800b.txt") has no UTF-8 form. It used to pass the
// tool schema; the sandbox then created the entry, failed with 500, and every retry left another
// pending_upload entry. Now the tool edge refuses it with a clear error before any request, and
// the sandbox (as a real API would) validates before it creates anything.
import { beforeEach, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";

const LONE_SURROGATE_NAME = "a\ud800b.txt";

const { harness, sandbox } = useHarness();

beforeEach(() => sandbox.clearRequests());

describe("ill-formed Unicode in a name", () => {
  it.each([
    ["upload_file", { content: "hello", file_name: LONE_SURROGATE_NAME }],
    ["create_directory", { name: "folder\udc00" }],
  ])("%s refuses it before any request, saying why", async (tool, args) => {
    const before = sandbox.children(SEED.sharedRootId).length;
    const result = await harness.callTool(tool, args);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/ill-formed Unicode \(a lone surrogate/);
    expect(sandbox.requests).toEqual([]);
    expect(sandbox.children(SEED.sharedRootId)).toHaveLength(before);
  });

  it("a well-formed name with an astral character (a surrogate pair) is fine", async () => {
    const result = await harness.callTool("upload_file", {
      content: "hello",
      file_name: "rocket-\u{1f680}.txt",
    });
    expect(result.isError, toolText(result)).toBeFalsy();
  });

  it("a local path with a lone surrogate is refused too", async () => {
    const result = await harness.callTool("upload_file", { local_path: "notes\ud800.txt" });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/ill-formed Unicode/);
  });

  it("the sandbox answers 400 and creates nothing, however often it is asked", async () => {
    const before = sandbox.children(SEED.sharedRootId).length;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const outcome = await harness.vagon
        .createFile({ fileName: LONE_SURROGATE_NAME, contentType: "text/plain", sizeBytes: 5, parentId: 0 })
        .catch((error: unknown) => error as { status?: number; message: string });
      expect((outcome as { status?: number }).status).toBe(400);
    }
    expect(sandbox.children(SEED.sharedRootId)).toHaveLength(before);
  });
});
