// upload_file: an agent sends a local file, inline content or a whole local tree to Vagon Files.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, vi } from "vitest";
import { type SandboxEntry, SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";

interface UploadResult {
  id: number;
  uid: string;
  name: string;
  size: number;
  parts: number;
  download_url: string | null;
}

interface FolderResult {
  folder_id: number;
  uploaded: number;
  skipped: number;
  failed: { path: string; message: string }[];
  not_sent?: string[];
  bytes: number;
}

const { harness, sandbox } = useHarness();

/** Writes `files` (relative path → bytes) under a new folder in the root. */
async function localTree(name: string, files: Record<string, Buffer>): Promise<string> {
  const folder = path.join(harness.root, name);
  for (const [relative, bytes] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(folder, relative)), { recursive: true });
    await fs.writeFile(path.join(folder, relative), bytes);
  }
  return folder;
}

async function uploadFolder(args: Record<string, unknown>): Promise<FolderResult> {
  const result = await harness.callTool("upload_file", args, { timeoutMs: 20_000 });
  expect(result.isError, toolText(result)).toBeFalsy();
  return result.structuredContent as unknown as FolderResult;
}

/** Every file below a Vagon folder, by relative path. */
function remoteTree(folderId: number, prefix = ""): Map<string, SandboxEntry> {
  const found = new Map<string, SandboxEntry>();
  for (const child of sandbox.children(folderId)) {
    const relative = `${prefix}${child.name}`;
    if (child.kind === "directory") {
      for (const [key, value] of remoteTree(child.id, `${relative}/`)) found.set(key, value);
    } else found.set(relative, child);
  }
  return found;
}

function folderNamed(name: string): SandboxEntry | undefined {
  return sandbox.children(0).find((entry) => entry.name === name && entry.kind === "directory");
}

async function upload(args: Record<string, unknown>): Promise<UploadResult> {
  const result = await harness.callTool("upload_file", args, { timeoutMs: 60_000 });
  expect(result.isError, toolText(result)).toBeFalsy();
  return result.structuredContent as unknown as UploadResult;
}

describe("upload_file", () => {
  it("uploads an 11 MB local file in 3 parts of 5 MB and the bytes round-trip", async () => {
    const bytes = randomBytes(11 * 1024 * 1024);
    const localPath = path.join(harness.root, "scene.bin");
    await fs.writeFile(localPath, bytes);
    sandbox.clearRequests(); // only this upload's part PUTs are counted
    const uploaded = await upload({ local_path: localPath, chunk_size_mb: 5 });
    expect(uploaded).toMatchObject({ name: "scene.bin", size: bytes.length, parts: 3 });
    expect(sandbox.getEntry(uploaded.id)).toMatchObject({
      status: "upload_completed",
      parentId: SEED.sharedRootId,
    });
    expect((await sandbox.readFile(uploaded.id)).equals(bytes)).toBe(true);
    expect(sandbox.requests.filter((request) => request.route === "s3-put")).toHaveLength(3);
  });

  it("uploads utf8 text given inline, into a machine's storage", async () => {
    const text = "Render notes — ünïcödé ✓\n";
    const uploaded = await upload({
      content: text,
      file_name: "notes.md",
      location: "machine",
      machine_id: SEED.runningMachineId,
    });
    expect(uploaded).toMatchObject({ name: "notes.md", size: Buffer.byteLength(text), parts: 1 });
    expect(sandbox.getEntry(uploaded.id)).toMatchObject({
      machineId: SEED.runningMachineId,
      contentType: "text/markdown",
    });
    expect((await sandbox.readFile(uploaded.id)).toString("utf8")).toBe(text);
  });

  it("uploads binary content given as base64", async () => {
    const bytes = randomBytes(4096);
    const uploaded = await upload({
      content: bytes.toString("base64"),
      encoding: "base64",
      file_name: "blob.bin",
      parent_id: SEED.projectFolderId,
    });
    expect(uploaded.size).toBe(4096);
    expect(sandbox.getEntry(uploaded.id)?.parentId).toBe(SEED.projectFolderId);
    expect((await sandbox.readFile(uploaded.id)).equals(bytes)).toBe(true);
  });

  it("refuses to replace an existing file without overwrite, and adds nothing", async () => {
    const before = sandbox.children(0).map((entry) => entry.id);
    const result = await harness.callTool("upload_file", { content: "replaced?", file_name: "welcome.txt" });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/welcome\.txt|already exists|overwrite/i);
    expect(sandbox.children(0).map((entry) => entry.id)).toEqual(before);
    expect((await sandbox.readFile(SEED.sharedTextFileId)).toString("utf8")).toMatch(/^Welcome/);
  });

  it("refuses a local_path outside the allowed root before contacting Vagon", async () => {
    const secret = path.join(harness.outside, "secret.txt");
    await fs.writeFile(secret, "not for upload");
    sandbox.clearRequests();
    const result = await harness.callTool("upload_file", { local_path: secret });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/outside/i);
    expect(sandbox.requests).toEqual([]);
  });

  it("refuses a symlink inside the root that points outside it, before contacting Vagon", async () => {
    const secret = path.join(harness.outside, "secret-link-target.txt");
    await fs.writeFile(secret, "not for upload");
    const link = path.join(harness.root, "innocent.txt");
    await fs.symlink(secret, link);
    sandbox.clearRequests();
    const result = await harness.callTool("upload_file", { local_path: link });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/outside/i);
    expect(sandbox.requests).toEqual([]);
    expect(sandbox.children(0).some((entry) => entry.name === "innocent.txt")).toBe(false);
  });
});

describe("upload_file with a folder", () => {
  it("mirrors a three-level tree byte-identical, and a re-run uploads nothing", async () => {
    const files: Record<string, Buffer> = {
      "readme.txt": Buffer.from("scene notes\n"),
      "empty.dat": Buffer.alloc(0),
      "shots/a.exr": randomBytes(70_000),
      "shots/b.exr": randomBytes(5),
      "shots/closeups/c.exr": randomBytes(6 * 1024 * 1024 + 7),
      "shots/closeups/deep/d.bin": randomBytes(1234),
      "node_modules/junk.js": Buffer.from("left out"),
      "shots/tmp.tmp": Buffer.from("left out"),
    };
    const folder = await localTree("renders", files);
    const first = await uploadFolder({
      local_path: folder,
      exclude: ["node_modules", "*.tmp"],
      chunk_size_mb: 5,
    });
    expect(first).toMatchObject({ uploaded: 6, skipped: 0, failed: [] });
    expect(first.bytes).toBe(70_000 + 5 + 6 * 1024 * 1024 + 7 + 1234 + 12);
    expect(folderNamed("renders")?.id).toBe(first.folder_id);

    const remote = remoteTree(first.folder_id);
    const sent = Object.keys(files).filter(
      (name) => !name.includes("node_modules") && !name.endsWith(".tmp"),
    );
    expect([...remote.keys()].sort()).toEqual(sent.sort());
    for (const name of sent) {
      const entry = remote.get(name)!;
      expect(entry.status).toBe("upload_completed");
      expect((await sandbox.readFile(entry.id)).equals(files[name]!), name).toBe(true);
    }

    sandbox.clearRequests();
    const again = await uploadFolder({ local_path: folder, exclude: ["node_modules", "*.tmp"] });
    expect(again).toMatchObject({
      folder_id: first.folder_id,
      uploaded: 0,
      skipped: 6,
      failed: [],
      bytes: 0,
    });
    expect(
      sandbox.requests.filter((request) => request.route === "create" || request.route === "s3-put"),
    ).toEqual([]);
  });

  it("reports a file that keeps failing, leaves no entry for it, and completes the rest", async () => {
    const files: Record<string, Buffer> = {
      "good-1.bin": randomBytes(1000),
      "sub/bad.bin": randomBytes(2000),
      "sub/flaky.bin": randomBytes(3000),
      "sub/good-2.bin": randomBytes(4000),
    };
    const folder = await localTree("faulty", files);
    sandbox.setFaults({
      routes: {},
      scripted: [
        { route: "s3-put", pathIncludes: "bad.bin", fault: "forbidden", times: 10 },
        { route: "s3-put", pathIncludes: "flaky.bin", fault: "error5xx", times: 1 },
      ],
    });
    try {
      const result = await uploadFolder({ local_path: folder });
      expect(result).toMatchObject({ uploaded: 3, skipped: 0 });
      expect(result.failed).toEqual([
        { path: "sub/bad.bin", message: expect.stringMatching(/403.*AccessDenied/) },
      ]);
      const remote = remoteTree(result.folder_id);
      expect([...remote.keys()].sort()).toEqual(["good-1.bin", "sub/flaky.bin", "sub/good-2.bin"]);
      expect((await sandbox.readFile(remote.get("sub/flaky.bin")!.id)).equals(files["sub/flaky.bin"]!)).toBe(
        true,
      );
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("does not follow a symlink inside the tree that points out of the root, and says so", async () => {
    const secret = path.join(harness.outside, "secret.txt");
    await fs.writeFile(secret, "not for upload");
    const folder = await localTree("with-link", { "keep.txt": Buffer.from("keep") });
    await fs.symlink(secret, path.join(folder, "innocent.txt"));
    await fs.symlink(harness.outside, path.join(folder, "outside-dir"));
    const result = await harness.callTool("upload_file", { local_path: folder });
    expect(result.isError, toolText(result)).toBeFalsy();
    const structured = result.structuredContent as unknown as FolderResult;
    expect(structured).toMatchObject({ uploaded: 1, failed: [] });
    expect(structured.not_sent).toEqual([
      "innocent.txt (a symbolic link (not followed))",
      "outside-dir (a symbolic link (not followed))",
    ]);
    expect(toolText(result)).toMatch(/innocent\.txt/);
    expect([...remoteTree(structured.folder_id).keys()]).toEqual(["keep.txt"]);
  });

  it("stops on cancellation: only complete files remain and the ones in flight are removed", async () => {
    const files: Record<string, Buffer> = {};
    for (let index = 0; index < 12; index++)
      files[`f${String(index).padStart(2, "0")}.bin`] = randomBytes(500 + index);
    const folder = await localTree("cancel-me", files);
    // f00–f03 go through; every later PUT is held until the client gives up on it.
    sandbox.setFaults({
      routes: {},
      scripted: Array.from({ length: 8 }, (_, index) => ({
        route: "s3-put" as const,
        pathIncludes: `f${String(index + 4).padStart(2, "0")}.bin`,
        fault: "stall" as const,
      })),
    });
    const controller = new AbortController();
    try {
      const call = harness.mcp.callTool(
        { name: "upload_file", arguments: { local_path: folder } },
        CallToolResultSchema,
        {
          signal: controller.signal,
          timeout: 20_000,
        },
      );
      call.catch(() => {});
      // 4 complete, and 8 held (f04–f07 first, then f08–f11 as the first four finish).
      await vi.waitFor(
        () => {
          const held = sandbox.requests.filter(
            (request) => request.route === "s3-put" && request.fault === "latency",
          );
          expect(held).toHaveLength(8);
          expect(
            [...remoteTree(folderNamed("cancel-me")!.id).values()].filter(
              (e) => e.status === "upload_completed",
            ),
          ).toHaveLength(4);
        },
        { timeout: 20_000, interval: 20 },
      );
      controller.abort();
      await expect(call).rejects.toThrow();
      const folderId = folderNamed("cancel-me")!.id;
      await vi.waitFor(
        () =>
          expect([...remoteTree(folderId).values()].filter((e) => e.status !== "upload_completed")).toEqual(
            [],
          ),
        { timeout: 20_000, interval: 20 },
      );
      const remote = remoteTree(folderId);
      expect([...remote.keys()].sort()).toEqual(["f00.bin", "f01.bin", "f02.bin", "f03.bin"]);
      for (const [name, entry] of remote)
        expect((await sandbox.readFile(entry.id)).equals(files[name]!)).toBe(true);
    } finally {
      sandbox.setFaults(null);
    }
  });
});

describe("upload_file overwrite when the complete answer is lost", () => {
  // Vagon completes the upload (and so removes the old version), then the connection drops
  // before its answer: the server must look before it cleans up, not delete the only copy.
  const loseCompleteAnswer = () =>
    sandbox.setFaults({ routes: {}, scripted: [{ route: "complete", fault: "lostAnswer" }] });

  it("a single file: the new version is kept and reported uploaded, nothing is deleted", async () => {
    const folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "lost-answer" });
    const oldId = await sandbox.addFile({ parentId: folderId, name: "report.txt", content: "old version" });
    loseCompleteAnswer();
    sandbox.clearRequests();
    try {
      const result = await harness.callTool("upload_file", {
        content: "the new version",
        encoding: "utf8",
        file_name: "report.txt",
        parent_id: folderId,
        overwrite: true,
      });
      expect(result.isError, toolText(result)).toBeFalsy();
      expect(sandbox.requests.filter((request) => request.route === "complete")[0]?.fault).toBe("lostAnswer");
      expect(sandbox.requests.filter((request) => request.route === "delete")).toEqual([]);
      const files = sandbox.children(folderId);
      expect(files.map((file) => [file.name, file.status])).toEqual([["report.txt", "upload_completed"]]);
      expect(files[0]!.id).not.toBe(oldId);
      expect((await sandbox.readFile(files[0]!.id)).toString()).toBe("the new version");
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("a file of a folder upload: the new version is kept, nothing is deleted", async () => {
    const folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "lost-folder" });
    await sandbox.addFile({ parentId: folderId, name: "report.txt", content: "old version" });
    const local = await localTree("lost-folder", { "report.txt": Buffer.from("the new version") });
    loseCompleteAnswer();
    sandbox.clearRequests();
    try {
      const result = await uploadFolder({ local_path: local, overwrite: true });
      expect(result).toMatchObject({ folder_id: folderId, uploaded: 1, failed: [] });
      expect(sandbox.requests.filter((request) => request.route === "delete")).toEqual([]);
      const files = sandbox.children(folderId);
      expect(files.map((file) => [file.name, file.status])).toEqual([["report.txt", "upload_completed"]]);
      expect((await sandbox.readFile(files[0]!.id)).toString()).toBe("the new version");
    } finally {
      sandbox.setFaults(null);
    }
  });
});
