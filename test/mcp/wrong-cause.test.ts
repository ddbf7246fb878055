// Errors that name the cause Vagon's answer shows, not the first one a status code suggests: a file
// path on a running machine is not "the machine is not running"; a folder id among file_ids and a
// file id as parent_id are named as the other kind, with the call that works.
import { describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";

const { harness } = useHarness({ logLevel: "info" });

describe("errors that name the right cause", () => {
  it("list_machine_content on a file path of a running machine says it is a file", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.runningMachineId,
      path: "C:/Users/Administrator/Documents/notes.txt",
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/is a file, not a folder/);
    expect(toolText(result)).not.toMatch(/not running/);
  });

  it("still says a stopped machine is not running", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.stoppedMachineId,
      path: "C:\\Users",
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/is not running/);
  });

  it("download_files with a folder id in file_ids says it is a folder and suggests directory_id", async () => {
    const result = await harness.callTool("download_files", {
      file_ids: [SEED.projectFolderId],
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(
      new RegExp(`Item ${SEED.projectFolderId} \\(Project Folder\\) is a folder`),
    );
    expect(toolText(result)).toContain(`directory_id=${SEED.projectFolderId}`);
    expect(toolText(result)).not.toMatch(/may have been deleted/);
  });

  it("list_files with a file id as parent_id says it is a file, naming it", async () => {
    const result = await harness.callTool("list_files", { parent_id: SEED.sharedTextFileId });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(
      new RegExp(`Item ${SEED.sharedTextFileId} \\(welcome\\.txt\\) is a file`),
    );
    expect(toolText(result)).not.toMatch(/was not found/);
  });

  it("still says a folder id that doesn't exist was not found", async () => {
    const result = await harness.callTool("list_files", { parent_id: 987_654 });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/Folder 987654 was not found/);
  });
});
