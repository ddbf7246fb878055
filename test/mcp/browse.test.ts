// An agent browsing Vagon Files through the vagon:// resources (list_files and
// list_machine_content have their own files in tools/). Real sandbox, real client, real server,
// SDK client in memory.

import { beforeAll, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { useHarness } from "../helpers/harness.js";
import type { ListResult } from "../helpers/results.js";
import { withRecords } from "../helpers/tables.js";

const { harness, sandbox } = useHarness();
/** A folder added to the shared root (its 250 files are list_files' story, tools/list-files.test.ts). */
let bigFolderId: number;

beforeAll(async () => {
  // tools/list first, as hosts do: the SDK client then checks each result against its outputSchema.
  await harness.mcp.listTools();
  bigFolderId = sandbox.addDirectory({ parentId: 0, name: "Frames" });
});

describe("vagon:// resources", () => {
  it("advertises the vagon:// templates", async () => {
    const { resourceTemplates } = await harness.mcp.listResourceTemplates();
    const templates = resourceTemplates.map((template) => template.uriTemplate);
    expect(templates).toEqual(
      expect.arrayContaining([
        "vagon://files/{file_id}",
        "vagon://shared/{parent_id}",
        "vagon://machines/{machine_id}/files/{parent_id}",
        "vagon://recordings/{parent_id}",
        "vagon://downloads/{download_id}",
      ]),
    );
  });

  it("reads a shared text file's content", async () => {
    const uri = `vagon://files/${SEED.sharedTextFileId}`;
    const { contents } = await harness.mcp.readResource({ uri });
    expect(contents).toHaveLength(1);
    expect(contents[0]).toMatchObject({ uri, mimeType: "text/plain" });
    const expected = (await sandbox.readFile(SEED.sharedTextFileId)).toString("utf8");
    expect((contents[0] as { text?: string }).text).toBe(expected);
  });

  it("reads a binary file as a base64 blob, byte for byte", async () => {
    const uri = `vagon://files/${SEED.sharedImageFileId}`;
    const { contents } = await harness.mcp.readResource({ uri });
    expect(contents[0]).toMatchObject({ uri, mimeType: "image/png" });
    const blob = Buffer.from((contents[0] as { blob: string }).blob, "base64");
    expect(blob.equals(await sandbox.readFile(SEED.sharedImageFileId))).toBe(true);
  });

  it("refuses a file over 10 MB and points to download_files", async () => {
    // Its own folder: the paging tests count the frames folder exactly.
    const bigId = await sandbox.addFile({
      parentId: sandbox.addDirectory({ parentId: 0, name: "Huge" }),
      name: "huge.bin",
      content: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    await expect(harness.mcp.readResource({ uri: `vagon://files/${bigId}` })).rejects.toThrow(
      /10 MB.*download_files/,
    );
  });

  it("answers a folder id given as a file with how to list it", async () => {
    await expect(harness.mcp.readResource({ uri: `vagon://files/${SEED.projectFolderId}` })).rejects.toThrow(
      /folder/,
    );
  });

  it("offers the shared root's files and folders in resources/list", async () => {
    const { resources } = await harness.mcp.listResources();
    const uris = resources.map((resource) => resource.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        "vagon://shared/0",
        `vagon://files/${SEED.sharedTextFileId}`,
        `vagon://shared/${SEED.projectFolderId}`,
      ]),
    );
    expect(resources.find((resource) => resource.uri.endsWith(`/${SEED.sharedTextFileId}`))).toMatchObject({
      name: "welcome.txt",
      title: "Vagon file",
      mimeType: "text/plain",
    });
    // A folder is titled and described as a folder listing, not as a file's bytes.
    const folder = resources.find((resource) => resource.uri === `vagon://shared/${SEED.projectFolderId}`);
    expect(folder).toMatchObject({ title: "Vagon folder", mimeType: "application/json" });
    expect(folder?.description).toMatch(/listing/);
    expect(folder?.description).not.toMatch(/bytes/);
  });

  it("completes file ids and folder ids from the shared root as they are typed", async () => {
    const files = await harness.mcp.complete({
      ref: { type: "ref/resource", uri: "vagon://files/{file_id}" },
      argument: { name: "file_id", value: String(SEED.sharedTextFileId).slice(0, 4) },
    });
    expect(files.completion.values).toContain(String(SEED.sharedTextFileId));
    expect(files.completion.values).not.toContain(String(SEED.projectFolderId));
    expect(
      files.completion.values.every((value) => value.startsWith(String(SEED.sharedTextFileId).slice(0, 4))),
    ).toBe(true);

    const folders = await harness.mcp.complete({
      ref: { type: "ref/resource", uri: "vagon://shared/{parent_id}" },
      argument: { name: "parent_id", value: "" },
    });
    expect(folders.completion.values).toEqual(expect.arrayContaining(["0", String(SEED.projectFolderId)]));
    expect(folders.completion.values).not.toContain(String(SEED.sharedTextFileId));
  });

  it("reads a machine's storage and the recordings as listings", async () => {
    const machine = await harness.mcp.readResource({
      uri: `vagon://machines/${SEED.runningMachineId}/files/0`,
    });
    const machineBody = withRecords<ListResult>(JSON.parse((machine.contents[0] as { text: string }).text));
    expect(machineBody.entries.map((entry) => entry.id)).toContain(SEED.machineProjectFolderId);

    const recordings = await harness.mcp.readResource({ uri: "vagon://recordings/0" });
    const recordingsBody = withRecords<ListResult>(
      JSON.parse((recordings.contents[0] as { text: string }).text),
    );
    expect(recordingsBody.entries.length).toBeGreaterThan(0);

    await expect(
      harness.mcp.readResource({ uri: `vagon://machines/${SEED.stoppedMachineId}/files/999999` }),
    ).rejects.toThrow(/999999.*not found/);
  });

  it("reads the shared root listing as JSON", async () => {
    const { contents } = await harness.mcp.readResource({ uri: "vagon://shared/0" });
    expect(contents[0]?.mimeType).toBe("application/json");
    const body = withRecords<ListResult>(JSON.parse((contents[0] as { text: string }).text));
    expect(body.entries.map((entry) => entry.id)).toEqual(
      expect.arrayContaining([SEED.projectFolderId, SEED.sharedTextFileId, bigFolderId]),
    );
    expect(body.total).toBe(body.entries.length);
  });
});
