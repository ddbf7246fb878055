// A prompt-injected agent aims upload_file's local_path and the download tools' save_to at
// places outside the configured root. Every such call must be refused with a clear error
// before any I/O: no request reaches Vagon (sandbox.requests stays empty) and nothing outside
// the root is read or written. Controls prove the same calls work inside the root.
import * as fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { type Harness, toolText, useHarness } from "../helpers/harness.js";
import { listTree, writeHostileZip } from "./fixtures.js";

// The root's name has an upper-case letter and a precomposed "é", so that siblings differing
// only by case or by Unicode normalisation are distinct folders outside it (Linux is exact).
const ROOT_NAME = "Root-caf\u00e9";
const CASE_TWIN = "root-caf\u00e9";
const NFD_TWIN = "Root-cafe\u0301";
const SECRET = "the contents of a private file";

const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 20, processingMs: 20 } },
  rootName: ROOT_NAME,
});
let outsideBefore: string[];

beforeAll(async () => {
  const { root, outside, workDir } = harness;
  await fs.writeFile(path.join(outside, "secret.txt"), SECRET);
  for (const twin of [CASE_TWIN, NFD_TWIN]) {
    await fs.mkdir(path.join(workDir, twin));
    await fs.writeFile(path.join(workDir, twin, "secret.txt"), SECRET);
  }
  await fs.writeFile(path.join(root, "inside.txt"), "an ordinary file inside the root");
  await fs.mkdir(path.join(root, "sub"));
  await fs.symlink(path.join(outside, "secret.txt"), path.join(root, "link-to-secret"));
  await fs.symlink(outside, path.join(root, "linked-dir"));
  await fs.symlink(path.join(root, "inside.txt"), path.join(root, "link-inside"));
  outsideBefore = await snapshotOutsideRoot();
});

beforeEach(() => {
  sandbox.clearRequests();
});

/** Every path in the scratch folder outside the root, with the size of each file. */
async function snapshotOutsideRoot(): Promise<string[]> {
  const rootRelative = path.relative(harness.workDir, harness.root).split(path.sep).join("/");
  const entries: string[] = [];
  for (const relative of await listTree(harness.workDir)) {
    if (relative === rootRelative || relative.startsWith(`${rootRelative}/`)) continue;
    const stats = await fs.lstat(path.join(harness.workDir, relative));
    entries.push(`${relative}:${stats.isFile() ? stats.size : "-"}`);
  }
  return entries;
}

function expectClearRefusal(text: string) {
  // One readable paragraph that names the problem, not a stack trace.
  expect(text.length).toBeGreaterThan(20);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).toMatch(
    /root|outside|allowed|not permitted|refus|invalid|not found|no file|too long|NUL|null|character|backslash/i,
  );
}

const hostileLocalPaths: [string, (h: Harness) => string][] = [
  ["'..' out of the root", (h) => `${h.root}/../outside/secret.txt`],
  ["a relative path climbing out", () => "../outside/secret.txt"],
  ["an absolute path outside the roots", (h) => path.join(h.outside, "secret.txt")],
  ["/etc/passwd", () => "/etc/passwd"],
  ["a symlink in the root pointing out", (h) => path.join(h.root, "link-to-secret")],
  ["a file under a symlinked parent folder", (h) => path.join(h.root, "linked-dir", "secret.txt")],
  ["a symlinked parent reached through '..'", (h) => `${h.root}/sub/../linked-dir/secret.txt`],
  ["Windows separators climbing out", (h) => `${h.root}\\..\\outside\\secret.txt`],
  ["a relative path with Windows separators", () => "..\\outside\\secret.txt"],
  ["a NUL byte", (h) => `${path.join(h.root, "inside.txt")}\u0000.png`],
  ["a NUL byte hiding an outside path", (h) => `${path.join(h.outside, "secret.txt")}\u0000${h.root}`],
  ["a very long file name", (h) => path.join(h.root, `${"a".repeat(300)}.txt`)],
  [
    "a very long path",
    (h) => path.join(h.root, ...Array.from({ length: 60 }, () => "deep-folder-name-x"), "f.txt"),
  ],
  ["the root's name with another case", (h) => path.join(h.workDir, CASE_TWIN, "secret.txt")],
  ["the root's name in another Unicode normalisation", (h) => path.join(h.workDir, NFD_TWIN, "secret.txt")],
  ["a file:// URL", (h) => `file://${path.join(h.outside, "secret.txt")}`],
  ["a home-relative path", () => "~/.ssh/id_rsa"],
];

describe("upload_file local_path", () => {
  it("uploads an ordinary file inside the root (control)", async () => {
    const result = await harness.callTool("upload_file", {
      local_path: path.join(harness.root, "inside.txt"),
      file_name: `control-${Date.now()}.txt`,
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    expect(sandbox.requests.length).toBeGreaterThan(0);
  });

  it("follows a symlink whose target stays inside the root (control)", async () => {
    const result = await harness.callTool("upload_file", {
      local_path: path.join(harness.root, "link-inside"),
      file_name: `control-link-${Date.now()}.txt`,
    });
    expect(result.isError, toolText(result)).toBeFalsy();
  });

  it.each(hostileLocalPaths)("refuses %s before any I/O", async (_label, pathFor) => {
    const result = await harness.callTool("upload_file", {
      local_path: pathFor(harness),
      file_name: "exfiltrated.txt",
    });
    expect(result.isError, toolText(result)).toBe(true);
    expectClearRefusal(toolText(result));
    expect(toolText(result)).not.toContain(SECRET);
    expect(sandbox.requests).toEqual([]);
  });
});

const hostileSaveTos: [string, (h: Harness) => string][] = [
  ["'..' out of the root", (h) => `${h.root}/../outside`],
  ["a relative path climbing out", () => "../outside"],
  ["an absolute folder outside the roots", (h) => h.outside],
  ["/tmp", () => "/tmp"],
  ["a symlinked folder pointing out", (h) => path.join(h.root, "linked-dir")],
  ["a new folder under a symlinked parent", (h) => path.join(h.root, "linked-dir", "new-folder")],
  ["Windows separators climbing out", (h) => `${h.root}\\..\\outside`],
  ["a NUL byte", (h) => `${path.join(h.root, "sub")}\u0000/../../outside`],
  ["a very long folder name", (h) => path.join(h.root, "d".repeat(300))],
  ["the root's name with another case", (h) => path.join(h.workDir, CASE_TWIN)],
  ["the root's name in another Unicode normalisation", (h) => path.join(h.workDir, NFD_TWIN)],
];

describe("save_to of the download tools", () => {
  it("saves inside the root (control)", async () => {
    // A folder of its own: another test saves into root/sub too.
    const saveTo = path.join(harness.root, "control");
    await fs.mkdir(saveTo);
    const result = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: saveTo,
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    expect((await listTree(saveTo)).length).toBe(1);
  });

  it.each(hostileSaveTos)("download_files refuses %s before any I/O", async (_label, saveToFor) => {
    const result = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: saveToFor(harness),
    });
    expect(result.isError, toolText(result)).toBe(true);
    expectClearRefusal(toolText(result));
    expect(sandbox.requests).toEqual([]);
    expect(await snapshotOutsideRoot()).toEqual(outsideBefore);
  });

  it.each([
    ["download_task_bundle", { task_id: SEED.taskId }],
    ["download_files", { directory_id: SEED.projectFolderId }],
    ["get_download", { download_id: 1 }],
  ] as const)("%s refuses a save_to outside the root before any I/O", async (tool, args) => {
    for (const saveTo of [`${harness.root}/../outside`, path.join(harness.root, "linked-dir")]) {
      const result = await harness.callTool(tool, { ...args, save_to: saveTo, extract: true });
      expect(result.isError, `${tool} ${saveTo}: ${toolText(result)}`).toBe(true);
      expectClearRefusal(toolText(result));
    }
    expect(sandbox.requests).toEqual([]);
    expect(await snapshotOutsideRoot()).toEqual(outsideBefore);
  });

  it("a remote file named to climb out is saved inside save_to under a safe name", async () => {
    const hostileId = await sandbox.addFile({
      parentId: 0,
      name: `..\\..\\outside\\planted-${Date.now()}.txt`,
      content: "planted",
    });
    const saveTo = path.join(harness.root, "sub");
    const result = await harness.callTool("download_files", { file_ids: [hostileId], save_to: saveTo });
    expect(result.isError, toolText(result)).toBeFalsy();
    const savedTo = (result.structuredContent as { saved_to: string }).saved_to;
    expect(path.dirname(savedTo)).toBe(saveTo);
    expect(await fs.readFile(savedTo, "utf8")).toBe("planted");
    expect(await snapshotOutsideRoot()).toEqual(outsideBefore);
  });
});

describe("a remote folder named to climb out", () => {
  it("is saved and extracted inside save_to", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: `..\\..\\outside\\evil-${Date.now()}` });
    await sandbox.addFile({ parentId: folderId, name: "payload.txt", content: "payload" });
    const saveTo = path.join(harness.root, "bundles");
    for (const extract of [false, true]) {
      const result = await harness.callTool("download_files", {
        directory_id: folderId,
        save_to: saveTo,
        extract,
        wait_seconds: 30,
      });
      expect(result.isError, toolText(result)).toBeFalsy();
      const savedTo = (result.structuredContent as { saved_to: string }).saved_to;
      expect(path.relative(saveTo, savedTo)).not.toMatch(/^\.\.|^\//);
      expect(path.dirname(savedTo)).toBe(saveTo);
    }
    expect((await listTree(saveTo)).filter((entry) => entry.endsWith("payload.txt"))).toHaveLength(1);
    expect(await snapshotOutsideRoot()).toEqual(outsideBefore);
  });
});

describe("a hostile zip from Vagon, extracted end to end", () => {
  it("lands only inside save_to and reports every skipped entry", async () => {
    const zipPath = path.join(harness.workDir, "hostile-bundle.zip");
    await writeHostileZip(zipPath, [
      { name: "../escaped.txt", content: "climbs" },
      { name: "/etc/escaped.txt", content: "absolute" },
      { name: "C:\\escaped.txt", content: "drive" },
      { name: "link-out", content: "../../outside", mode: 0o120777 },
      { name: "dup.txt", content: "first" },
      { name: "dup.txt", content: "second" },
      { name: "results/ok.csv", content: "a,b\n" },
    ]);
    const zipId = await sandbox.addFile({
      parentId: 0,
      name: `hostile-${Date.now()}.zip`,
      content: await fs.readFile(zipPath),
      contentType: "application/zip",
    });
    await fs.rm(zipPath);
    const outsideNow = await snapshotOutsideRoot();
    const saveTo = path.join(harness.root, "extracted");

    const result = await harness.callTool("download_files", {
      file_ids: [zipId],
      save_to: saveTo,
      extract: true,
    });

    expect(result.isError, toolText(result)).toBeFalsy();
    const structured = result.structuredContent as { status: string; saved_to: string; files?: string[] };
    expect(structured.status).toBe("extracted");
    // A new save_to receives the files itself.
    expect(structured.saved_to).toBe(await fs.realpath(saveTo));
    expect(await snapshotOutsideRoot()).toEqual(outsideNow);
    const tree = await listTree(structured.saved_to);
    expect(tree).toEqual(expect.arrayContaining(["dup.txt", "dup (1).txt", "results/ok.csv"]));
    expect(tree.join("\n")).not.toMatch(/escaped|link-out/);
    // The agent learns what was left out, and why; the zip itself is not kept.
    const reported = `${toolText(result)}\n${JSON.stringify(structured)}`;
    for (const name of ["../escaped.txt", "/etc/escaped.txt", "link-out"]) expect(reported).toContain(name);
    expect((await fs.readdir(saveTo)).filter((name) => name.endsWith(".zip"))).toEqual([]);
  });
});
