// An agent browsing Vagon Files through the MCP layer: list_files in every location, paging
// at scale, recursive walks, the live disk of a machine, both API response shapes, and the
// vagon:// resources. Real sandbox, real client, real server, SDK client in memory.

import { countTokens } from "@anthropic-ai/tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTPUT_BUDGET_TOKENS } from "../../src/mcp/kit/budget.js";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { type Harness, startHarness, toolText } from "../helpers/hardening.js";
import { withRecords } from "../helpers/tables.js";

interface ListedEntry {
  id: number;
  name: string;
  kind: "file" | "directory";
  depth?: number;
}
interface ListResult {
  folder: { id: number; name: string } | null;
  entries: ListedEntry[];
  total: number;
  next_page: number | null;
  storage?: { used: number; total: number } | null;
}

let sandbox: Sandbox;
let harness: Harness;
/** A shared folder holding 250 generated files. */
let bigFolderId: number;

beforeAll(async () => {
  sandbox = await startSandbox();
  harness = await startHarness({ sandbox });
  // tools/list first, as hosts do: the SDK client then checks each result against its outputSchema.
  await harness.mcp.listTools();
  bigFolderId = sandbox.addDirectory({ parentId: 0, name: "Frames" });
  for (let index = 0; index < 250; index += 1) {
    await sandbox.addFile({
      parentId: bigFolderId,
      name: `frame-${String(index).padStart(4, "0")}.txt`,
      content: `frame ${index}\n`,
      contentType: "text/plain",
    });
  }
});

afterAll(async () => {
  await harness?.close({ keepSandbox: true });
  await sandbox?.close();
});

async function listFiles(args: Record<string, unknown>) {
  const result = await harness.callTool("list_files", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { result, listing: withRecords<ListResult>(result.structuredContent), text: toolText(result) };
}

describe("list_files", () => {
  it("shows the shared root with the seeded entries and the storage use", async () => {
    const { listing, text } = await listFiles({});
    const names = listing.entries.map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(["Project Folder", "welcome.txt", "logo.png"]));
    expect(listing.entries.find((entry) => entry.name === "Project Folder")).toMatchObject({
      id: SEED.projectFolderId,
      kind: "directory",
    });
    expect(listing.storage?.total).toBeGreaterThan(0);
    expect(listing.storage?.used).toBeGreaterThan(0);
    expect(text).toContain(`id=${SEED.sharedTextFileId}`);
    expect(text).toMatch(/storage .* used/);
  });

  it("refuses location 'machine' without a machine_id, naming the missing argument", async () => {
    sandbox.clearRequests();
    const result = await harness.callTool("list_files", { location: "machine" });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/machine_id/);
    expect(sandbox.requests).toEqual([]);
  });

  it("lists just a task's folders on machine 100 when given task_id", async () => {
    const { listing } = await listFiles({
      location: "machine",
      machine_id: SEED.runningMachineId,
      task_id: SEED.taskId,
    });
    const ids = listing.entries.map((entry) => entry.id);
    expect(ids).toContain(SEED.taskOutputFolderId);
    expect(ids).toContain(SEED.sessionFolderId);
    expect(ids).not.toContain(SEED.machineImageFileId);
    expect(listing.entries.every((entry) => entry.kind === "directory")).toBe(true);
  });

  it("fetches 250 entries across three pages of 100 when limit is 250, then cuts to the output budget at a page end", async () => {
    sandbox.clearRequests();
    const { listing, text } = await listFiles({ parent_id: bigFolderId, limit: 250, per_page: 100 });
    expect(sandbox.requests.filter((request) => request.route === "list-files")).toHaveLength(3);
    expect(listing.total).toBe(250);
    // 250 entries in both forms are over the ~8,000-token budget; the cut ends where a page ends.
    expect(listing.entries.length % 100).toBe(0);
    expect(listing.next_page).toBe(listing.entries.length / 100 + 1);
    expect(text).toMatch(
      new RegExp(
        `${250 - listing.entries.length} more — call again with page=${listing.next_page} per_page=100`,
      ),
    );
    expect(text).not.toMatch(/structuredContent/);
    expect(countTokens(text) + countTokens(JSON.stringify(listing))).toBeLessThan(OUTPUT_BUDGET_TOKENS);
  });

  it("keeps the text compact and says how to get more when the limit cuts the folder short", async () => {
    const { listing, text } = await listFiles({ parent_id: bigFolderId, limit: 50 });
    expect(listing.entries).toHaveLength(50);
    expect(listing.next_page).toBe(2);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/Frames.*50 of 250 entries/);
    const entryLines = lines.slice(1, -1);
    expect(entryLines).toHaveLength(50);
    expect(
      entryLines.every((line) => /^frame-\d{4}\.txt {2}\d+ bytes id=\d+ \d{4}-\d{2}-\d{2}$/.test(line)),
    ).toBe(true);
    const bytes = entryLines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
    // Well under 30 tokens (~120 bytes) per entry.
    expect(bytes / entryLines.length).toBeLessThan(80);
    expect(text).not.toContain("{");
    expect(lines.at(-1)).toMatch(/200 more .*page=2/);
  });

  it("counts what is left after a page asked for by number", async () => {
    const { listing, text } = await listFiles({ parent_id: bigFolderId, page: 2, per_page: 100 });
    expect(listing.entries).toHaveLength(100);
    expect(listing.next_page).toBe(3);
    expect(text.split("\n").at(-1)).toBe("50 more — call again with page=3 per_page=100");
  });

  it("walks sub-folders, each entry below naming its folder by parent_id", async () => {
    const { listing, text } = await listFiles({ parent_id: SEED.projectFolderId, recursive: true });
    const byId = new Map(listing.entries.map((entry) => [entry.id, entry]));
    // Depth 0, directly in the listed folder, is left out.
    expect(byId.get(SEED.briefFileId)?.depth).toBeUndefined();
    expect(byId.get(SEED.nestedFolderId)?.depth).toBeUndefined();
    // One level down, inside a folder listed above it: its depth and path follow from parent_id.
    expect(byId.get(SEED.nestedFileId)).toMatchObject({ parent_id: SEED.nestedFolderId });
    expect(byId.get(SEED.nestedFileId)).not.toHaveProperty("depth");
    // Children come right after their parent, indented, so the text reads as a tree.
    const ids = listing.entries.map((entry) => entry.id);
    expect(ids.indexOf(SEED.nestedFileId)).toBe(ids.indexOf(SEED.nestedFolderId) + 1);
    expect(text).toMatch(/\n {2}links\.txt/);
    // `total` counts the listed folder; the header says what the walk added.
    expect(text.split("\n")[0]).toMatch(/: 3 of 3 entries \+ 1 in sub-folders$/);
  });

  it("continues a recursive listing cut by limit with the cursor it names, every entry once", async () => {
    const org = sandbox.generateOrganization({ name: "Walked", entries: 240, folders: 20, seed: 5 });
    const seen: number[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const { listing, text } = await listFiles({
        parent_id: org.folderId,
        recursive: true,
        max_depth: 20,
        limit: 60,
        ...(cursor ? { cursor } : {}),
      });
      calls += 1;
      seen.push(...listing.entries.map((entry) => entry.id));
      cursor = (listing as ListResult & { next_cursor?: string }).next_cursor;
      if (cursor)
        expect(text.split("\n").at(-1)).toBe(
          `More entries in sub-folders — call again with the same inputs and cursor="${cursor}".`,
        );
    } while (cursor && calls < 10);
    expect(calls).toBe(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(240);
  });

  it("gives the same result with the JSON:API and the flat response shapes", async () => {
    const args = { parent_id: SEED.projectFolderId, recursive: true };
    const original = sandbox.shape;
    try {
      sandbox.shape = "jsonapi";
      const jsonapi = await listFiles(args);
      sandbox.shape = "flat";
      const flat = await listFiles(args);
      expect(flat.listing).toEqual(jsonapi.listing);
      expect(flat.text).toBe(jsonapi.text);
    } finally {
      sandbox.shape = original;
    }
  });
});

describe("list_machine_content", () => {
  it("lists a folder on running machine 100's live disk, forward slashes accepted", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.runningMachineId,
      path: "C:/Users",
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    const structured = withRecords<{ entries: Array<{ name: string; kind: string }> }>(
      result.structuredContent,
    );
    expect(structured.entries.map((entry) => entry.name).sort()).toEqual(["Administrator", "Public"]);
    expect(structured.entries.every((entry) => entry.kind === "directory")).toBe(true);
    expect(toolText(result)).toContain("Administrator\\");
  });

  it("shows file sizes when Vagon's answer has them (older revision) and says when it has none (current)", async () => {
    const original = sandbox.shape;
    try {
      const listed: Record<string, { text: string; entries: Array<Record<string, unknown>> }> = {};
      for (const shape of ["flat", "jsonapi"] as const) {
        sandbox.shape = shape;
        const result = await harness.callTool("list_machine_content", {
          machine_id: SEED.runningMachineId,
          path: "C:/Users/Administrator/Documents",
        });
        expect(result.isError, toolText(result)).toBeFalsy();
        listed[shape] = {
          text: toolText(result),
          entries: withRecords<{ entries: Array<Record<string, unknown>> }>(result.structuredContent).entries,
        };
      }
      // The older revision sends {name, type, path, size}: the size is shown, in both forms.
      expect(listed.flat?.entries).toContainEqual({ name: "notes.txt", kind: "file", size: 1_024 });
      expect(listed.flat?.text).toMatch(/^notes\.txt {2}1(\.0)? KB$/m);
      // The current one sends {path, name, is_directory}: no size, and the text says why.
      expect(listed.jsonapi?.entries).toContainEqual({ name: "notes.txt", kind: "file", size: null });
      expect(listed.jsonapi?.text.split("\n")[0]).toContain("Vagon sent no file sizes");
    } finally {
      sandbox.shape = original;
    }
  });

  it("explains that stopped machine 200 isn't running", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.stoppedMachineId,
      path: "C:/Users",
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/not running/i);
  });
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

describe("a path missing on a running machine's disk", () => {
  it("names the path, not the machine", async () => {
    const harness = await startHarness();
    try {
      const result = await harness.callTool("list_machine_content", { machine_id: 100, path: "C:/Nope" });
      expect(result.isError).toBe(true);
      expect(toolText(result)).toMatch(/Nothing was found at C:\\Nope/);
    } finally {
      await harness.close();
    }
  });
});
