// "What is taking our space?": storage_usage walks a location once and answers totals, a
// per-folder breakdown that adds up to what the sandbox holds, and the biggest files.
import { beforeAll, describe, expect, it } from "vitest";
import { type SandboxEntry, SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";

interface Row {
  id: number;
  name: string;
  path: string;
  bytes: number;
  files: number;
  newest: string | null;
  oldest: string | null;
}
interface Usage {
  total_bytes: number;
  files: number;
  folders: number;
  breakdown: Row[];
  biggest_files: Array<{ id: number; name: string; size?: number }>;
  storage?: { used: number; total: number };
  complete: boolean;
}

const { harness, sandbox } = useHarness();

beforeAll(async () => {
  await harness.mcp.listTools();
});

function treeOf(folderId: number): SandboxEntry[] {
  return sandbox
    .children(folderId)
    .flatMap((child) => [child, ...(child.kind === "directory" ? treeOf(child.id) : [])]);
}
const bytesOf = (entries: SandboxEntry[]) =>
  entries.filter((entry) => entry.kind === "file").reduce((sum, entry) => sum + entry.sizeBytes, 0);

async function usage(args: Record<string, unknown>) {
  const result = await harness.callTool("storage_usage", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { usage: withRecords<Usage>(result.structuredContent), text: toolText(result) };
}

describe("storage_usage", () => {
  it("breaks the shared folder down into sub-folders that add up to the truth", async () => {
    const { usage: shared, text } = await usage({});
    const everything = treeOf(SEED.sharedRootId);
    expect(shared.total_bytes).toBe(bytesOf(everything));
    expect(shared.files).toBe(everything.filter((entry) => entry.kind === "file").length);
    expect(shared.folders).toBe(everything.filter((entry) => entry.kind === "directory").length);
    expect(shared.complete).toBe(true);
    // One row per folder directly in the root, each with the bytes below it, biggest first.
    const topFolders = sandbox.children(SEED.sharedRootId).filter((entry) => entry.kind === "directory");
    expect(shared.breakdown.map((row) => row.id).sort()).toEqual(
      topFolders.map((folder) => folder.id).sort(),
    );
    for (const row of shared.breakdown) expect(row.bytes).toBe(bytesOf(treeOf(row.id)));
    expect(shared.breakdown[0]?.name).toBe("Renders");
    const looseFiles = sandbox.children(SEED.sharedRootId).filter((entry) => entry.kind === "file");
    expect(shared.breakdown.reduce((sum, row) => sum + row.bytes, 0) + bytesOf(looseFiles)).toBe(
      shared.total_bytes,
    );
    expect(shared.biggest_files[0]).toMatchObject({ id: SEED.rendersFinalMovieId, name: "final-4k.mov" });
    expect(shared.storage?.used).toBe(shared.total_bytes);
    expect(text.split("\n")[0]).toMatch(/^Teams Shared Folder: 7\.\d GB in \d+ files, \d+ folders; storage/);
    expect(text).toMatch(/\n\/Renders\/ {2}7\.\d GB/);
  });

  it("goes two levels deep when asked, with the age span of each folder", async () => {
    const { usage: renders } = await usage({ parent_id: SEED.rendersFolderId, depth: 2, top: 2 });
    const paths = renders.breakdown.map((row) => row.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/Renders/2026",
        "/Renders/archive",
        "/Renders/2026/spring-campaign",
        "/Renders/archive/2025",
      ]),
    );
    const spring = renders.breakdown.find((row) => row.path === "/Renders/2026/spring-campaign");
    expect(spring?.files).toBe(14);
    expect(spring?.oldest && spring.newest && spring.oldest < spring.newest).toBe(true);
    expect(renders.biggest_files).toHaveLength(2);
    // Not a root: no quota to report.
    expect(renders.storage).toBeUndefined();
  });

  it("measures the recordings, where each session is a folder", async () => {
    const { usage: recordings } = await usage({ location: "recordings" });
    expect(recordings.total_bytes).toBe(bytesOf(treeOf(sandbox.recordingsRootId())));
    expect(recordings.breakdown).toHaveLength(sandbox.children(sandbox.recordingsRootId()).length);
  });
});

describe("storage_usage past the walk's depth limit", () => {
  it("says it is incomplete and where it stopped, instead of a complete 1 byte", async () => {
    // One byte at the top, 5 MB 25 folder levels down: below the 21 levels usage walks.
    const topId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "deep-usage" });
    await sandbox.addFile({ parentId: topId, name: "small.txt", content: "x" });
    let folderId = topId;
    for (let level = 1; level <= 25; level++)
      folderId = sandbox.addDirectory({ parentId: folderId, name: `level-${level}` });
    await sandbox.addFile({ parentId: folderId, name: "big.bin", content: Buffer.alloc(5 * 1024 * 1024) });

    const { usage: out, text } = await usage({ parent_id: topId });
    expect(out.complete).toBe(false);
    expect(out.total_bytes).toBe(1);
    expect(text).toMatch(
      /INCOMPLETE: 1 folder at the depth limit \(21 levels\) not entered, e\.g\. .*level-21\/ .*parent_id=\d+/,
    );
  });
});
