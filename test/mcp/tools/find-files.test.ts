// "Find the renders bigger than 1 GB", "which recordings are older than 30 days?": find_files
// walks a whole location through the MCP client against the real sandbox, sorts, and counts
// every match even when it returns only a few.
import { beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, type SandboxEntry, SEED } from "../../../src/sandbox/index.js";
import { type Harness, startHarness, toolText, useHarness } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";

interface Found {
  id: number;
  name: string;
  kind: string;
  size?: number;
  path: string;
}
interface FindResult {
  matches: Found[];
  summary: {
    matched: number;
    matched_bytes: number;
    scanned_entries: number;
    scanned_folders: number;
    complete: boolean;
  };
}

const { harness, sandbox } = useHarness();

beforeAll(async () => {
  await harness.mcp.listTools();
});

/** Every live entry below a folder, as the sandbox itself knows them. */
function treeOf(sandbox: Sandbox, folderId: number): SandboxEntry[] {
  const all: SandboxEntry[] = [];
  for (const child of sandbox.children(folderId)) {
    all.push(child);
    if (child.kind === "directory") all.push(...treeOf(sandbox, child.id));
  }
  return all;
}

async function find(args: Record<string, unknown>, through: Harness = harness) {
  const result = await through.callTool("find_files", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { found: withRecords<FindResult>(result.structuredContent), text: toolText(result) };
}

describe("find_files", () => {
  it("finds the session recordings older than 30 days and none of the recent ones", async () => {
    const { found, text } = await find({
      location: "recordings",
      kind: "directory",
      max_depth: 0,
      modified_before: "30d",
    });
    const ids = found.matches.map((match) => match.id);
    expect(ids).toEqual(expect.arrayContaining([...SEED.oldSessionFolderIds, SEED.sessionFolderId]));
    for (const recent of SEED.recentSessionFolderIds) expect(ids).not.toContain(recent);
    expect(found.summary).toMatchObject({ matched: ids.length, complete: true, scanned_folders: 1 });
    expect(text).toMatch(/^\d+ matches .* modified before 30d/);
    // Folders matched whole: their bytes are not summed here, and the text says where they are.
    expect(found.summary.matched_bytes).toBe(0);
    expect(text.split("\n")[0]).toContain("folders' contents not counted — storage_usage sums them");
    expect(text).toContain("/Session_2003/");
  });

  it("lists the biggest files first, and counts every match, not only those returned", async () => {
    const { found, text } = await find({ kind: "file", sort: "size", limit: 3 });
    expect(found.matches.map((match) => match.name)).toEqual(["final-4k.mov", "old-final.mov", "draft.mov"]);
    expect(found.matches[0]?.path).toBe("/Renders/2026/spring-campaign/final-4k.mov");
    const files = treeOf(sandbox, SEED.sharedRootId).filter((entry) => entry.kind === "file");
    expect(found.summary.matched).toBe(files.length);
    expect(found.summary.matched_bytes).toBe(files.reduce((sum, file) => sum + file.sizeBytes, 0));
    expect(found.summary.scanned_entries).toBe(treeOf(sandbox, SEED.sharedRootId).length);
    // The next step is spelled out for hosts that only show text.
    expect(text.split("\n").at(-1)).toMatch(/more matches not shown — call again with max_size=\d+/);
  });

  it("matches names with a case-insensitive glob and sizes written with units", async () => {
    const { found } = await find({ name: "*.MOV", min_size: "1GiB", sort: "size", order: "asc" });
    expect(found.matches.map((match) => match.name)).toEqual(["draft.mov", "old-final.mov", "final-4k.mov"]);
    const small = await find({ name: "frame-000?.exr", max_size: 25_200_000 });
    expect(small.found.matches.map((match) => match.name)).toEqual(
      // 24 MiB + 4 KiB per frame number: frames 1-8 are under 25,200,000 bytes.
      Array.from({ length: 8 }, (_, index) => `frame-000${index + 1}.exr`),
    );
  });

  it("refuses an age it can't read and shows a form it accepts, before any request", async () => {
    sandbox.clearRequests();
    const result = await harness.callTool("find_files", { modified_before: "30 days" });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/'30 days'.*write 30d.*2026-11-01/);
    const size = await harness.callTool("find_files", { min_size: "lots" });
    expect(toolText(size)).toMatch(/'lots'.*500MB/);
    expect(sandbox.requests).toEqual([]);
  });

  it("reports progress as entries and folders scanned, always growing", async () => {
    // A sandbox of its own, as for the 5,000 entries below.
    const big = await startHarness();
    const folder = big.sandbox.generateOrganization({ entries: 1_500, folders: 60, seed: 7 });
    const updates: Array<{ progress: number; message?: string }> = [];
    const result = await big.mcp
      .callTool({ name: "find_files", arguments: { parent_id: folder.folderId, name: "*.mp4" } }, undefined, {
        onprogress: (update) => updates.push(update),
        timeout: 30_000,
      })
      .finally(() => big.close());
    expect(result.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.at(-1)?.message).toMatch(/^scanned 1,500 entries in 61 folders$/);
    for (let index = 1; index < updates.length; index++) {
      expect(updates[index]?.progress).toBeGreaterThan(updates[index - 1]?.progress ?? 0);
    }
  });

  it("keeps 500 matches of a 5,000-entry organization within the output budget", async () => {
    // A sandbox of its own: other tests search the whole seeded tree and count what is there.
    const big = await startHarness();
    const folder = big.sandbox.generateOrganization({ entries: 5_000, folders: 200, seed: 3 });
    const { found, text } = await find(
      { parent_id: folder.folderId, kind: "file", limit: 500, sort: "modified" },
      big,
    ).finally(() => big.close());
    expect(found.summary).toMatchObject({ matched: folder.files, scanned_entries: 5_000, complete: true });
    const bytes = Buffer.byteLength(text) + Buffer.byteLength(JSON.stringify(found));
    expect(bytes).toBeLessThan(30_000);
    expect(found.matches.length).toBeGreaterThan(50);
    // What was cut for the budget is counted, and the text says how to reach it.
    expect(text.split("\n").at(-1)).toMatch(/more matches not shown — call again with modified_before=/);
  });

  it("a pattern built to make matchers backtrack answers at once (issue 19: {*,*}×8 took 17 s a name)", async () => {
    // Against every seeded name, none of which ends in "#": a backtracking matcher tries
    // 2^12 ways of splitting each name before it gives up; the automaton walks each name once.
    const { found } = await find({ location: "shared", name: `${"{*,*}".repeat(12)}#` });
    expect(found.summary.matched).toBe(0);
    expect(found.summary.scanned_entries).toBeGreaterThan(10);
    const everything = await find({ location: "shared", name: "{*,*}".repeat(12) });
    expect(everything.found.summary.matched).toBe(everything.found.summary.scanned_entries);
  }, 10_000);
});

describe("find_files past the deepest max_depth", () => {
  it("says it is incomplete and where it stopped", async () => {
    const topId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "deep-find" });
    let folderId = topId;
    for (let level = 1; level <= 25; level++)
      folderId = sandbox.addDirectory({ parentId: folderId, name: `level-${level}` });
    await sandbox.addFile({ parentId: folderId, name: "lost.mp4", content: "deep down" });

    const { found, text } = await find({ parent_id: topId, name: "*.mp4" });
    expect(found.summary).toMatchObject({ matched: 0, complete: false });
    expect(text).toMatch(
      /INCOMPLETE: 1 folder at the depth limit \(21 levels\) not entered, e\.g\. .*level-21\/ .*parent_id=\d+/,
    );
  });
});
