// get_download names a zip the way the tool that started the job did (files.zip, <folder>.zip,
// task-<id>.zip), without remembering anything: the name comes from Vagon's link.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { type Harness, startSlowZipWorld, toolText } from "../../helpers/harness.js";
import { downloadResultOf as resultOf } from "../../helpers/results.js";

let harness: Harness;
// Zip jobs follow the sandbox clock: moving it on finishes them without waiting.
let jobsFinish: () => void;
let closeWorld: () => Promise<void>;

beforeAll(async () => {
  ({ harness, jobsFinish, close: closeWorld } = await startSlowZipWorld());
});

afterAll(async () => {
  await closeWorld?.();
});

describe("get_download", () => {
  it.each([
    [
      "download_files with file_ids",
      "download_files",
      () => ({ file_ids: [SEED.briefFileId, SEED.dataCsvFileId] }),
      "files.zip",
    ],
    [
      "download_files with a folder",
      "download_files",
      () => ({ directory_id: SEED.projectFolderId }),
      "Project Folder.zip",
    ],
    [
      "download_task_bundle",
      "download_task_bundle",
      () => ({ task_id: SEED.taskId }),
      `task-${SEED.taskId}.zip`,
    ],
  ] as const)("saves the zip %s started under the same name", async (_label, tool, args, expected) => {
    const started = resultOf(await harness.callTool(tool, { ...args(), wait_seconds: 0 }));
    expect(["pending", "processing"]).toContain(started.status);
    jobsFinish();
    const finished = resultOf(
      await harness.callTool("get_download", {
        download_id: started.download_id,
        wait_seconds: 10,
        save_to: `named-${started.download_id}`,
      }),
    );
    expect(finished.name).toBe(expected);
    expect(finished.name).not.toMatch(/^download-\d+\.zip$/);
    expect(path.basename(finished.saved_to!)).toBe(finished.name);
  });

  it("names expires_at beside a single-file link", async () => {
    const link = await harness.callTool("download_files", { file_ids: [SEED.briefFileId] });
    const result = resultOf(link);
    expect(result.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(toolText(link)).toContain(`expires_at ${result.expires_at}`);
    expect(toolText(link)).not.toContain("expires soon");
  });

  it("after saving, the link stays in structured only, not in the text", async () => {
    const saved = await harness.callTool("download_files", { file_ids: [SEED.briefFileId], save_to: "kept" });
    const result = resultOf(saved);
    expect(result.status).toBe("saved");
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1/);
    expect(toolText(saved)).not.toContain("http://");
    const ready = await harness.callTool("download_files", { file_ids: [SEED.briefFileId] });
    expect(toolText(ready).split(resultOf(ready).url!).length - 1).toBe(1);
  });
});
