// list_files: every location, paging at scale, recursive walks and both API response shapes,
// as an agent browsing Vagon Files sees them. Real sandbox, real client, real server, SDK client in memory.

import { countTokens } from "@anthropic-ai/tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import { OUTPUT_BUDGET_TOKENS } from "../../../src/mcp/kit/budget.js";
import { SEED } from "../../../src/sandbox/index.js";
import { startHarness, toolText, useHarness } from "../../helpers/harness.js";
import type { ListResult } from "../../helpers/results.js";
import { withRecords } from "../../helpers/tables.js";

const { harness, sandbox } = useHarness();
/** A shared folder holding 250 generated files. */
let bigFolderId: number;

beforeAll(async () => {
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
    // One line per entry: id, size, modified day, then the name, which ends the line.
    expect(text).toMatch(
      new RegExp(`^${SEED.sharedTextFileId} \\d+B \\d{4}-\\d{2}-\\d{2} welcome\\.txt$`, "m"),
    );
    expect(text).toMatch(new RegExp(`^${SEED.projectFolderId} \\d{4}-\\d{2}-\\d{2} Project Folder/$`, "m"));
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
    expect(entryLines.every((line) => /^\d+ \d+B \d{4}-\d{2}-\d{2} frame-\d{4}\.txt$/.test(line))).toBe(true);
    const bytes = entryLines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
    // Well under 30 tokens (~120 bytes) per entry: a 14-character name costs 36 bytes.
    expect(bytes / entryLines.length).toBeLessThan(40);
    expect(text).not.toContain("{");
    expect(lines.at(-1)).toMatch(/200 more .*page=2/);
  });

  it("answers the page a cut listing named from the pages it fetched: once, in this session, until a change", async () => {
    const listRequests = () => sandbox.requests.filter((request) => request.route === "list-files").length;
    const frames = (listing: ListResult) => listing.entries.map((entry) => entry.name);
    const fetchPage = async (page: number) => {
      sandbox.clearRequests();
      const { listing } = await listFiles({ parent_id: bigFolderId, page, per_page: 100 });
      return { listing, requests: listRequests() };
    };
    const cutListing = async () => {
      const { listing } = await listFiles({ parent_id: bigFolderId, limit: 250, per_page: 100 });
      expect(listing.next_page).not.toBeNull();
      return listing.next_page as number;
    };

    // The page the answer names comes from what the listing fetched; Vagon is not asked again.
    const next = await cutListing();
    const kept = await fetchPage(next);
    expect(kept.requests).toBe(0);
    // Taken once: asked again, the page is fetched, and it is the same page.
    const fetched = await fetchPage(next);
    expect(fetched.requests).toBe(1);
    expect(frames(kept.listing)).toEqual(frames(fetched.listing));
    expect(kept.listing).toEqual(fetched.listing);
    expect(frames(kept.listing)[0]).toBe(`frame-${String((next - 1) * 100).padStart(4, "0")}.txt`);

    // Another session (another McpServer on the same account) has none of this session's pages.
    await cutListing();
    const other = await startHarness({ sandbox });
    try {
      sandbox.clearRequests();
      const result = await other.callTool("list_files", {
        parent_id: bigFolderId,
        page: next,
        per_page: 100,
      });
      expect(result.isError, toolText(result)).toBeFalsy();
      expect(listRequests()).toBe(1);
    } finally {
      await other.close({ keepSandbox: true });
    }

    // A call that changes files drops the kept pages: the page is fetched, and shows the change.
    await cutListing();
    const made = await harness.callTool("create_directory", { parent_id: bigFolderId, name: "aaa-new" });
    expect(made.isError, toolText(made)).toBeFalsy();
    const afterChange = await fetchPage(next);
    expect(afterChange.requests).toBe(1);
    expect(afterChange.listing.total).toBe(251);
    const { id } = made.structuredContent as { id: number };
    const deleted = await harness.callTool("delete_file", { file_id: id });
    expect(deleted.isError, toolText(deleted)).toBeFalsy();
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
    expect(text).toMatch(/\n {2}\d+ \d+B \S+ links\.txt\n/);
    // `total` counts the listed folder; the header says what the walk added.
    expect(text.split("\n")[0]).toMatch(/: 3 of 3 entries \+ 1 in sub-folders \(id, size, modified, name\)$/);
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
