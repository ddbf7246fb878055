// Errors and hints an agent can follow blindly (issue 24): each answer names what happened in
// the user's terms and a next step that is safe to take as written — never one that destroys a
// finished file, never "not found" for an id of the other kind.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { type Harness, startHarness, toolText } from "../helpers/hardening.js";

let sandbox: Sandbox;
let harness: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  harness = await startHarness({ sandbox, logLevel: "info" });
});

afterAll(async () => {
  await harness?.close({ keepSandbox: true });
  await sandbox?.close();
});

interface LinkResult {
  file_id: number;
  parts: { part: number; url: string; offset: number; length: number }[];
}

/** create_upload_link, then every part PUT as the printed commands would, returning the ETags. */
async function uploadThroughLinks(name: string, bytes: Buffer, chunkSizeMb?: number) {
  const result = await harness.callTool("create_upload_link", {
    file_name: name,
    size: bytes.length,
    ...(chunkSizeMb ? { chunk_size_mb: chunkSizeMb } : {}),
  });
  expect(result.isError, toolText(result)).toBeFalsy();
  const link = result.structuredContent as unknown as LinkResult;
  const etags: string[] = [];
  for (const part of link.parts) {
    const response = await fetch(part.url, {
      method: "PUT",
      body: bytes.subarray(part.offset, part.offset + part.length),
    });
    expect(response.status).toBe(200);
    etags.push(response.headers.get("etag") ?? "");
  }
  return { fileId: link.file_id, etags };
}

describe("complete_upload never suggests deleting a finished file (item 1)", () => {
  it("a retried completion answers that the upload is complete, not an error", async () => {
    const bytes = randomBytes(3000);
    const { fileId, etags } = await uploadThroughLinks("retried.bin", bytes);
    const first = await harness.callTool("complete_upload", { file_id: fileId, etags });
    expect(first.isError, toolText(first)).toBeFalsy();

    const again = await harness.callTool("complete_upload", { file_id: fileId, etags });
    expect(again.isError, toolText(again)).toBeFalsy();
    expect(toolText(again)).toMatch(
      new RegExp(
        `^Upload ${fileId} \\(retried\\.bin, 2\\.9 KB\\) is already complete: the file is in Vagon Files`,
      ),
    );
    expect(toolText(again)).not.toMatch(/delete_file|abandon/);
    expect(again.structuredContent).toMatchObject({ id: fileId, already_complete: true });
    expect((await sandbox.readFile(fileId)).equals(bytes)).toBe(true);
  });

  it("a finished file's id given by mistake gets the same answer, and a folder's is named a folder", async () => {
    const wrong = await harness.callTool("complete_upload", {
      file_id: SEED.sharedTextFileId,
      etags: ['"9b2cf535f27731c974343645a3985328"'],
    });
    expect(wrong.isError, toolText(wrong)).toBeFalsy();
    expect(toolText(wrong)).toMatch(/\(welcome\.txt, .*\) is already complete.*If you meant another upload/);
    expect(toolText(wrong)).not.toMatch(/delete_file|abandon/);

    const folder = await harness.callTool("complete_upload", {
      file_id: SEED.projectFolderId,
      etags: ['"9b2cf535f27731c974343645a3985328"'],
    });
    expect(folder.isError).toBe(true);
    expect(toolText(folder)).toMatch(
      new RegExp(`Item ${SEED.projectFolderId} \\(.+\\) is a folder, not a file`),
    );
    expect(toolText(folder)).not.toMatch(/delete_file/);
  });

  it("ETags in the wrong order are named as an order problem, not a quoting one (item 12)", async () => {
    const { fileId, etags } = await uploadThroughLinks("two.bin", randomBytes(6 * 1024 * 1024), 5);
    const swapped = await harness.callTool("complete_upload", {
      file_id: fileId,
      etags: [etags[1], etags[0]],
    });
    expect(swapped.isError).toBe(true);
    expect(toolText(swapped)).toMatch(/not the one S3 returned for part 1\. Give the ETags in part order/);
    expect(toolText(swapped)).not.toMatch(/quotes/);
  });
});

describe("ids of the wrong kind are named as such in every tool (item 3)", () => {
  it("read_file of a folder id says it is a folder and names directory_id", async () => {
    const result = await harness.callTool("read_file", { file_id: SEED.projectFolderId });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(
      new RegExp(
        `^Item ${SEED.projectFolderId} \\(.+\\) is a folder, not a file, so read_file can't read it\\. .*download_files directory_id=${SEED.projectFolderId}`,
      ),
    );
    expect(toolText(result)).not.toMatch(/couldn't find|may have been deleted/);
  });

  it("read_file of a recordings folder id says so too", async () => {
    const result = await harness.callTool("read_file", { file_id: SEED.sessionFolderId });
    expect(toolText(result)).toMatch(
      new RegExp(`Item ${SEED.sessionFolderId} \\(.+\\) is a folder, not a file`),
    );
  });

  it("download_files directory_id of a file id says it is a file and names file_ids", async () => {
    const result = await harness.callTool("download_files", { directory_id: SEED.sharedTextFileId });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toBe(
      `Item ${SEED.sharedTextFileId} (welcome.txt) is a file, not a folder, so directory_id can't zip it. Fetch the file itself with download_files file_ids=[${SEED.sharedTextFileId}].`,
    );
  });
});
