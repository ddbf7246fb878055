// The unhappy paths an agent meets, each answered with one paragraph that names the cause and
// the next step: ids that don't exist, a failed upload (which leaves nothing behind), a zip job
// that expired, a host without roots, a user who dismisses the delete prompt. Also the local
// folder defaults, upload progress and the MCP log notifications.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { startHarness, toolText, useHarness } from "../helpers/harness.js";

const realNow = Date.now.bind(Date);
/** Added to both clocks (host and sandbox) to make 24-hour zip jobs expire without waiting. */
let clockShiftMs = 0;

const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 50, processingMs: 100 }, clock: () => realNow() + clockShiftMs },
});

afterEach(() => {
  sandbox.setFaults(null);
  clockShiftMs = 0;
  vi.restoreAllMocks();
});

function expectError(result: CallToolResult, pattern: RegExp): string {
  const text = toolText(result);
  expect(result.isError, text).toBe(true);
  expect(text).toMatch(pattern);
  // One paragraph for the model: no stack trace, no JSON dump.
  expect(text).not.toMatch(/\n\s+at |\{"/);
  return text;
}

describe("ids that don't exist", () => {
  it("list_files names the missing folder and how to find a current id", async () => {
    const result = await harness.callTool("list_files", { parent_id: 999_999 });
    expectError(result, /999999.*not found.*parent_id 0/s);
  });

  it("delete_file says the item may already be gone", async () => {
    const result = await harness.callTool("delete_file", { file_id: 999_999 });
    expectError(result, /999999.*not found/);
  });

  it("get_download of an unknown job says zip downloads expire and to start again", async () => {
    const result = await harness.callTool("get_download", { download_id: 999_999, wait_seconds: 0 });
    expectError(result, /expire.*Start the download again/s);
  });
});

describe("a zip job that outlived its 24 hours", () => {
  it("is reported as expired by get_download, with the next step", async () => {
    const started = await harness.callTool("download_files", {
      directory_id: SEED.projectFolderId,
      wait_seconds: 10,
    });
    expect(started.isError, toolText(started)).toBeFalsy();
    const { download_id: downloadId, status } = started.structuredContent as {
      download_id: number;
      status: string;
    };
    expect(status).toBe("uploaded");

    // A day and an hour later, on both sides (the request signatures must stay valid).
    clockShiftMs = 25 * 3600 * 1000;
    vi.spyOn(Date, "now").mockImplementation(() => realNow() + clockShiftMs);
    const later = await harness.callTool("get_download", { download_id: downloadId, wait_seconds: 0 });
    expectError(later, new RegExp(`${downloadId}.*expire.*Start the download again`, "s"));
  });
});

describe("uploads that fail", () => {
  it("leaves no entry behind when storage keeps refusing the bytes, and says so", async () => {
    const before = sandbox.children(SEED.sharedRootId).map((entry) => entry.id);
    sandbox.setFaults({ routes: { "s3-put": { error5xx: 1 } } });
    const result = await harness.callTool(
      "upload_file",
      { content: "this never arrives", file_name: "doomed.txt" },
      { timeoutMs: 60_000 },
    );
    expectError(result, /doomed\.txt/);
    expect(toolText(result)).toMatch(/removed|deleted/i);
    expect(sandbox.children(SEED.sharedRootId).map((entry) => entry.id)).toEqual(before);
  });

  it("refuses content and local_path together, and neither, before contacting Vagon", async () => {
    sandbox.clearRequests();
    const both = await harness.callTool("upload_file", {
      content: "x",
      local_path: "x.txt",
      file_name: "x.txt",
    });
    expectError(both, /exactly one of local_path .* or content/);
    const neither = await harness.callTool("upload_file", { file_name: "x.txt" });
    expectError(neither, /exactly one of local_path .* or content/);
    const badBase64 = await harness.callTool("upload_file", {
      content: "not base64!",
      encoding: "base64",
      file_name: "x.bin",
    });
    expectError(badBase64, /not valid base64/);
    expect(sandbox.requests).toEqual([]);
  });

  it("explains that the folder name is already taken (451)", async () => {
    const result = await harness.callTool("create_directory", { name: "Project Folder" });
    expectError(result, /already exists/);
  });
});

describe("upload progress", () => {
  it("reports bytes sent, never going backwards, ending at the file size", async () => {
    const bytes = randomBytes(6 * 1024 * 1024);
    await fs.writeFile(path.join(harness.root, "progress.bin"), bytes);
    const updates: Progress[] = [];
    const result = (await harness.mcp.callTool(
      // A relative local_path starts at the first root.
      { name: "upload_file", arguments: { local_path: "progress.bin", chunk_size_mb: 5 } },
      undefined,
      { onprogress: (update) => updates.push(update), timeout: 60_000 },
    )) as CallToolResult;
    expect(result.isError, toolText(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ name: "progress.bin", size: bytes.length, parts: 2 });

    expect(updates.length).toBeGreaterThan(0);
    const values = updates.map((update) => update.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(updates.at(-1)).toMatchObject({ progress: bytes.length, total: bytes.length });
    expect(updates.every((update) => update.total === undefined || update.total === bytes.length)).toBe(true);
  });
});

describe("local folders", () => {
  it('saves into the default download folder when save_to is ""', async () => {
    const result = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: "",
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    const { saved_to: savedTo } = result.structuredContent as { saved_to: string };
    expect(path.dirname(savedTo)).toBe(path.join(harness.root, "vagon-downloads"));
    expect((await fs.readFile(savedTo)).equals(await sandbox.readFile(SEED.sharedTextFileId))).toBe(true);
    expect(result.content).toContainEqual(
      expect.objectContaining({ type: "resource_link", uri: expect.stringMatching(/^file:\/\/.*welcome/) }),
    );
  });

  it("never overwrites: a second save of the same file gets a numbered name", async () => {
    const first = await harness.callTool("download_files", {
      file_ids: [SEED.briefFileId],
      save_to: "twice",
    });
    const second = await harness.callTool("download_files", {
      file_ids: [SEED.briefFileId],
      save_to: "twice",
    });
    const savedFirst = (first.structuredContent as { saved_to: string }).saved_to;
    const savedSecond = (second.structuredContent as { saved_to: string }).saved_to;
    expect(path.basename(savedFirst)).toBe("brief.md");
    expect(path.basename(savedSecond)).toBe("brief (1).md");
  });

  it("extracts into the default download folder when extract comes without save_to", async () => {
    const result = await harness.callTool("download_files", {
      directory_id: SEED.nestedFolderId,
      extract: true,
      wait_seconds: 10,
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    const extracted = result.structuredContent as { status: string; saved_to: string; files: string[] };
    expect(extracted.status).toBe("extracted");
    expect(extracted.saved_to.startsWith(path.join(harness.root, "vagon-downloads"))).toBe(true);
    expect(extracted.files).toContain("links.txt");
  });

  it("refuses a save_to outside the roots before any request", async () => {
    sandbox.clearRequests();
    const result = await harness.callTool("download_task_bundle", {
      task_id: SEED.taskId,
      save_to: harness.outside,
    });
    expectError(result, /outside the folders this server may use/);
    expect(sandbox.requests).toEqual([]);
    expect(await fs.readdir(harness.outside)).toEqual([]);
  });

  it("without any root, local-disk features say how to add one and remote ones still work", async () => {
    const rootless = await startHarness({ sandbox, config: { roots: [] } });
    try {
      sandbox.clearRequests();
      const upload = await rootless.callTool("upload_file", { local_path: "/etc/hostname" });
      expectError(upload, /--root.*VAGON_MCP_ROOTS/s);
      const download = await rootless.callTool("download_files", {
        file_ids: [SEED.sharedTextFileId],
        save_to: "anywhere",
      });
      expectError(download, /--root/);
      expect(sandbox.requests).toEqual([]);

      const link = await rootless.callTool("download_files", { file_ids: [SEED.sharedTextFileId] });
      expect(link.isError, toolText(link)).toBeFalsy();
      expect(link.structuredContent).toMatchObject({ status: "ready", name: "welcome.txt" });
      expect(toolText(link)).toMatch(/Temporary download link/);
    } finally {
      await rootless.close({ keepSandbox: true });
    }
  });
});

describe("logging", () => {
  it("forwards what a call logs as MCP notifications; a process-level line reaches no session", async () => {
    // Logged outside any call (start-up, the HTTP transport): stderr only.
    harness.logger.warn("disk nearly full");
    await harness.callTool("get_download", { download_id: 777_777, wait_seconds: 0 });
    await vi.waitFor(
      () => expect(JSON.stringify(harness.notifications)).toContain("/files/downloads/777777"),
      { timeout: 20_000 },
    );
    expect(harness.notifications).toContainEqual(
      expect.objectContaining({
        level: "debug",
        data: expect.objectContaining({ message: "vagon request" }),
      }),
    );
    expect(JSON.stringify(harness.notifications)).not.toContain("disk nearly full");
  });
});
