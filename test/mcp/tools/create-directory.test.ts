// create_directory: an agent makes a folder in Vagon Files (and, with a host that can't ask the
// user, removes it again). Real sandbox, real client, real server, SDK client in memory.
import { describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";

const { harness, sandbox } = useHarness();

describe("create_directory", () => {
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
});
