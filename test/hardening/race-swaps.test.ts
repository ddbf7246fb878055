// Anyone who can write inside a root (another process, an agent with a shell) can swap a file or
// folder for a link between the server's check and its use. These tests make that race
// deterministic: a seam (src/local/race-seam.ts) pauses the server exactly between check and use and
// the test swaps in a link to a folder outside the root. Nothing outside may be read or written.
import * as fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RacePoint, setRaceHook } from "../../src/local/race-seam.js";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";

const SECRET = "outside the root: must never be uploaded";
const DECOY = "inside the root: fine to upload, same size";

// Each test swaps things inside its own root and checks its own `outside` stays empty.
const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 10, processingMs: 10 } },
  freshEachTest: true,
});

beforeEach(() => {
  sandbox.clearRequests();
});

afterEach(() => {
  setRaceHook(null);
  sandbox.setFaults(null);
});

/** Runs `swap` once, the first time the server reaches `point` (optionally for a matching target). */
function swapAt(
  point: RacePoint,
  swap: (target: string) => Promise<void>,
  match = (_target: string) => true,
) {
  let done = false;
  setRaceHook(async (reached, target) => {
    if (done || reached !== point || !match(target)) return;
    done = true;
    await swap(target);
  });
  return () => done;
}

/** Replaces `place` with a link to `target`, keeping what was there under a new name. */
async function replaceWithLink(place: string, target: string): Promise<void> {
  await fs.rename(place, `${place}.moved-away`);
  await fs.symlink(target, place);
}

async function uploadedContents(): Promise<string[]> {
  const contents: string[] = [];
  for (const entry of sandbox.children(SEED.sharedRootId)) {
    if (entry.kind === "file")
      contents.push((await sandbox.readFile(entry.id).catch(() => Buffer.from(""))).toString());
  }
  return contents;
}

describe("upload_file's local_path", () => {
  it("a file swapped for a link to an outside file after the check is not uploaded", async () => {
    await fs.writeFile(path.join(harness.outside, "secret.txt"), SECRET);
    await fs.writeFile(
      path.join(harness.root, "decoy.txt"),
      DECOY.slice(0, SECRET.length).padEnd(SECRET.length),
    );
    const swapped = swapAt("read:checked", (checked) =>
      replaceWithLink(checked, path.join(harness.outside, "secret.txt")),
    );

    const result = await harness.callTool("upload_file", { local_path: "decoy.txt" });

    expect(swapped()).toBe(true);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/replaced by a link|changed while it was being checked/);
    expect(await uploadedContents()).not.toContain(SECRET);
    expect(sandbox.requests.filter((request) => request.method === "POST")).toEqual([]);
  });

  it("a parent folder swapped for a link after the check is not followed", async () => {
    await fs.mkdir(path.join(harness.root, "docs"));
    await fs.writeFile(path.join(harness.root, "docs", "notes.txt"), DECOY);
    await fs.writeFile(path.join(harness.outside, "notes.txt"), SECRET);
    const swapped = swapAt("read:checked", () =>
      replaceWithLink(path.join(harness.root, "docs"), harness.outside),
    );

    const result = await harness.callTool("upload_file", { local_path: "docs/notes.txt" });

    expect(swapped()).toBe(true);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/changed while it was being checked/);
    expect(await uploadedContents()).not.toContain(SECRET);
  });
});

describe("upload_file with a folder", () => {
  it("a sub-folder swapped for a link after the walk: none of its files is read from outside", async () => {
    const album = path.join(harness.root, "album");
    await fs.mkdir(path.join(album, "raw"), { recursive: true });
    await fs.writeFile(path.join(album, "cover.txt"), DECOY);
    await fs.writeFile(path.join(album, "raw", "notes.txt"), DECOY);
    await fs.writeFile(path.join(harness.outside, "notes.txt"), SECRET);
    const swapped = swapAt(
      "read:tree-file",
      () => replaceWithLink(path.join(album, "raw"), harness.outside),
      (file) => file === path.join(album, "raw", "notes.txt"),
    );

    const result = await harness.callTool("upload_file", { local_path: "album" });

    expect(swapped()).toBe(true);
    expect(result.isError, toolText(result)).toBeFalsy();
    const out = result.structuredContent as {
      folder_id: number;
      failed: { path: string; message: string }[];
    };
    expect(out.failed).toEqual([
      { path: "raw/notes.txt", message: expect.stringMatching(/replaced by a link, so it was not read/) },
    ]);
    const sent: string[] = [];
    const collect = async (folderId: number) => {
      for (const entry of sandbox.children(folderId)) {
        if (entry.kind === "directory") await collect(entry.id);
        else sent.push((await sandbox.readFile(entry.id)).toString());
      }
    };
    await collect(out.folder_id);
    expect(sent).toEqual([DECOY]);
  });
});

describe("download_files' save_to", () => {
  it("a save_to folder swapped for a link while the zip job ran gets neither the zip nor its files", async () => {
    const saveTo = path.join(harness.root, "bundles");
    await fs.mkdir(saveTo);
    const swapped = swapAt("write:before-create", () => replaceWithLink(saveTo, harness.outside));

    const result = await harness.callTool("download_files", {
      file_ids: [SEED.briefFileId, SEED.dataCsvFileId],
      save_to: "bundles",
      extract: true,
      wait_seconds: 30,
    });

    expect(swapped()).toBe(true);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/replaced by a link/);
    expect(await fs.readdir(harness.outside)).toEqual([]);
  });

  it("a folder swapped for a link while save_to's missing folders are created gets no folder outside", async () => {
    await fs.mkdir(path.join(harness.root, "projects"));
    const swapped = swapAt(
      "folder:before-mkdir",
      (parent) => replaceWithLink(parent, harness.outside),
      (parent) => parent === path.join(harness.root, "projects"),
    );

    const result = await harness.callTool("download_files", {
      file_ids: [SEED.briefFileId],
      save_to: "projects/2026/march",
    });

    expect(swapped()).toBe(true);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/moved or replaced by a link while it was being created/);
    expect(await fs.readdir(harness.outside)).toEqual([]);
    expect(sandbox.requests.filter((request) => request.route === "download")).toEqual([]);
  });

  it("a .partial file swapped for a link between two attempts is never written through", async () => {
    const victim = path.join(harness.outside, "victim.bin");
    await fs.writeFile(victim, "");
    // Every body is cut short until the swap, so the download has to try again.
    sandbox.setFaults({ routes: { "s3-get": { truncate: 1 } } });
    const swapped = swapAt("write:between-attempts", async (partial) => {
      sandbox.setFaults(null);
      await replaceWithLink(partial, victim);
    });

    const result = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: "single",
    });

    expect(swapped()).toBe(true);
    expect((await fs.stat(victim)).size).toBe(0);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/temporary file .* was replaced/);
  });

  it("an extraction folder swapped for a link between an entry's check and its creation stops there", async () => {
    let entries = 0;
    const swapped = swapAt(
      "extract:before-entry",
      (folder) => replaceWithLink(folder, harness.outside),
      // Let the first entry through, swap before the second.
      () => {
        entries += 1;
        return entries === 2;
      },
    );

    const result = await harness.callTool("download_files", {
      file_ids: [SEED.briefFileId, SEED.dataCsvFileId],
      save_to: "unpacked",
      extract: true,
      wait_seconds: 30,
    });

    expect(swapped()).toBe(true);
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/replaced by a link while extracting/);
    expect(await fs.readdir(harness.outside)).toEqual([]);
  });
});
