// complete_upload: an agent finishes an upload whose parts were PUT through create_upload_link's
// URLs, and never gets a next step that destroys a finished file (issue 24).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";

const { harness, sandbox } = useHarness({ logLevel: "info" });

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
      body: new Uint8Array(bytes.subarray(part.offset, part.offset + part.length)),
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
