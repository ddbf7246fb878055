// An agent fetching from Vagon Files through the MCP layer: single files and folders saved and
// extracted inside the root, zip jobs that outlast wait_seconds, and a cancelled call aborting
// its job at Vagon (task bundles with progress, and cancel_download: tools/<tool>.test.ts).
import { existsSync, readdirSync } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED } from "../../src/sandbox/index.js";
import { type Harness, startSlowZipWorld, toolText, useHarness } from "../helpers/harness.js";
import { type DownloadResult, downloadResultOf as resultOf } from "../helpers/results.js";

/** The first download id the sandbox hands out; later ones count up. */
const FIRST_DOWNLOAD_ID = 5085;

function latestJobId(sandbox: Sandbox): number | undefined {
  let latest: number | undefined;
  for (let id = FIRST_DOWNLOAD_ID; sandbox.getJob(id) !== undefined; id += 1) latest = id;
  return latest;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe("with quick zip jobs", () => {
  const { harness, sandbox } = useHarness({
    sandboxOptions: { zipJob: { pendingMs: 30, processingMs: 60 } },
  });

  it("saves a single file byte for byte into save_to", async () => {
    const result = resultOf(
      await harness.callTool("download_files", {
        file_ids: [SEED.sharedImageFileId],
        save_to: "incoming",
      }),
    );
    expect(result).toMatchObject({ status: "saved", name: "logo.png" });
    expect(result.saved_to).toBe(path.join(harness.root, "incoming", "logo.png"));
    const saved = await fs.readFile(result.saved_to!);
    expect(saved.equals(await sandbox.readFile(SEED.sharedImageFileId))).toBe(true);
  });

  it("says when a single file's link expires, from the link itself", async () => {
    const result = resultOf(await harness.callTool("download_files", { file_ids: [SEED.sharedTextFileId] }));
    expect(result.status).toBe("ready");
    const expiresMs = Date.parse(result.expires_at ?? "");
    // The sandbox signs single-file links for an hour, as Vagon does.
    expect(expiresMs - Date.now()).toBeGreaterThan(3500_000);
    expect(expiresMs - Date.now()).toBeLessThan(3700_000);
  });

  it("downloads a whole folder as a zip job and extracts it on disk", async () => {
    const result = resultOf(
      await harness.callTool("download_files", {
        directory_id: SEED.projectFolderId,
        save_to: "project",
        extract: true,
      }),
    );
    expect(result.status).toBe("extracted");
    expect(result.download_id).toBeGreaterThanOrEqual(FIRST_DOWNLOAD_ID);
    expect(result.saved_to!.startsWith(path.join(harness.root, "project"))).toBe(true);
    expect(result.files).toEqual(expect.arrayContaining(["brief.md", "data.csv", "references/links.txt"]));
    for (const file of result.files!) {
      await expect(fs.stat(path.join(result.saved_to!, file))).resolves.toBeTruthy();
    }
    const brief = await fs.readFile(path.join(result.saved_to!, "brief.md"));
    expect(brief.equals(await sandbox.readFile(SEED.briefFileId))).toBe(true);
    // The zip itself is removed once extracted.
    const left = await fs.readdir(path.join(harness.root, "project"));
    expect(left.filter((name) => name.endsWith(".zip"))).toEqual([]);
  });

  it("a call cancelled while the zip is being saved leaves no partial file behind", async () => {
    // The zip is ready quickly; its bytes then take seconds to start arriving.
    sandbox.setFaults({ routes: { "s3-get": { latency: 1, latencyMs: 3000 } } });
    try {
      const controller = new AbortController();
      const call = harness.mcp.callTool(
        {
          name: "download_files",
          arguments: { directory_id: SEED.projectFolderId, save_to: "interrupted", extract: true },
        },
        undefined,
        { signal: controller.signal, timeout: 30_000 },
      );
      const folder = path.join(harness.root, "interrupted");
      // Abort once the transfer has begun: the hidden temporary file is there.
      const transferring = await waitUntil(() => {
        try {
          return readdirSync(folder).some((name) => name.endsWith(".partial"));
        } catch {
          return false;
        }
      }, 5000);
      expect(transferring).toBe(true);
      controller.abort("user pressed stop");
      await expect(call).rejects.toThrow();
      // The call created the folder to save into, so it goes with the partial file.
      const cleaned = await waitUntil(() => !existsSync(folder), 3000);
      expect(cleaned).toBe(true);
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("gives the same download result with the JSON:API and the flat response shapes", async () => {
    const original = sandbox.shape;
    const comparable = (result: DownloadResult) => {
      // Each call signs a fresh link: its expiry moves with the clock, its object path does not.
      const { url, expires_at: _expiresAt, ...rest } = result;
      return { ...rest, urlPath: url ? new URL(url).pathname : null };
    };
    try {
      sandbox.shape = "jsonapi";
      const jsonapi = resultOf(await harness.callTool("download_files", { file_ids: [SEED.briefFileId] }));
      sandbox.shape = "flat";
      const flat = resultOf(await harness.callTool("download_files", { file_ids: [SEED.briefFileId] }));
      expect(jsonapi).toMatchObject({ status: "ready", name: "brief.md" });
      expect(comparable(flat)).toEqual(comparable(jsonapi));
    } finally {
      sandbox.shape = original;
    }
  });
});

describe("with zip jobs that take a few seconds", () => {
  let sandbox: Sandbox;
  let harness: Harness;
  // The sandbox's clock, moved on by the tests: a job's phases follow it, so "a few seconds
  // later" costs no real time.
  let jobsFinish: () => void;
  let closeWorld: () => Promise<void>;

  beforeAll(async () => {
    ({ sandbox, harness, jobsFinish, close: closeWorld } = await startSlowZipWorld());
  });

  afterAll(async () => {
    await closeWorld?.();
  });

  it("answers with a download_id when wait_seconds runs out, and get_download finishes the job", async () => {
    const started = resultOf(
      await harness.callTool("download_task_bundle", { task_id: SEED.taskId, wait_seconds: 0 }),
    );
    expect(["pending", "processing"]).toContain(started.status);
    expect(started.download_id).toBeGreaterThanOrEqual(FIRST_DOWNLOAD_ID);
    jobsFinish();

    const finished = resultOf(
      await harness.callTool("get_download", {
        download_id: started.download_id,
        wait_seconds: 10,
        save_to: "later",
      }),
    );
    expect(finished.status).toBe("saved");
    expect(finished.download_id).toBe(started.download_id);
    const zip = await fs.readFile(finished.saved_to!);
    expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
    expect(sandbox.getJob(started.download_id!)?.status).toBe("uploaded");
  });

  it("says where to continue in the text when the wait runs out", async () => {
    const raw = await harness.callTool("download_files", {
      directory_id: SEED.projectFolderId,
      wait_seconds: 0,
    });
    const started = resultOf(raw);
    expect(toolText(raw)).toContain(`get_download with download_id=${started.download_id}`);
    // The job's status is also a resource the host can read.
    const jobUri = `vagon://downloads/${started.download_id}`;
    expect(raw.content).toContainEqual(expect.objectContaining({ type: "resource_link", uri: jobUri }));
    const { contents } = await harness.mcp.readResource({ uri: jobUri });
    const status = JSON.parse((contents[0] as { text: string }).text) as { status: string };
    expect(["pending", "processing"]).toContain(status.status);
    jobsFinish();
    const uploaded = resultOf(
      await harness.callTool("get_download", { download_id: started.download_id, wait_seconds: 10 }),
    );
    expect(uploaded.status).toBe("uploaded");
    expect(uploaded.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // The resource gives expires_at in the same form as the tool: ISO 8601 to the second.
    const finished = await harness.mcp.readResource({ uri: jobUri });
    const job = JSON.parse((finished.contents[0] as { text: string }).text) as { expires_at: string };
    expect(job.expires_at).toBe(uploaded.expires_at);
    expect(job.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
  it("reports a zip job that failed at Vagon as an error with the next step", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Vanishing" });
    const fileId = await sandbox.addFile({ parentId: folderId, name: "gone-soon.txt", content: "bye" });
    const started = resultOf(
      await harness.callTool("download_files", { directory_id: folderId, wait_seconds: 0 }),
    );
    // The file disappears while the job waits its turn, so Vagon can't zip it.
    const deleted = await harness.callTool("delete_file", { file_id: fileId });
    expect(deleted.isError, toolText(deleted)).toBeFalsy();
    jobsFinish();

    const finished = await harness.callTool("get_download", {
      download_id: started.download_id,
      wait_seconds: 10,
      save_to: "never",
    });
    expect(finished.isError).toBe(true);
    expect(toolText(finished)).toMatch(/could not build zip job \d+\. Start the download again/);
    expect(sandbox.getJob(started.download_id!)?.status).toBe("failed");
    // Nothing was saved, and the folder the call made for it is gone again.
    expect(existsSync(path.join(harness.root, "never"))).toBe(false);
  });
});

describe("cancelling", () => {
  // Jobs stay pending longer than any test may run (its 30 s timeout): the call is cancelled
  // while its job is still at Vagon.
  const { harness, sandbox } = useHarness({
    sandboxOptions: { zipJob: { pendingMs: 60_000, processingMs: 5000 } },
  });

  it("aborts the zip job at Vagon when the client cancels the call, and saves nothing", async () => {
    const controller = new AbortController();
    // The user presses stop once the job is under way: at its first progress notification.
    const call = harness.mcp.callTool(
      { name: "download_task_bundle", arguments: { task_id: SEED.taskId, save_to: "cancelled" } },
      undefined,
      { signal: controller.signal, timeout: 30_000, onprogress: () => controller.abort("user pressed stop") },
    );
    await expect(call).rejects.toThrow();

    const downloadId = latestJobId(sandbox);
    expect(downloadId).toBeDefined();
    const cancelled = await waitUntil(() => sandbox.getJob(downloadId!)?.status === "cancelled", 3000);
    expect(sandbox.getJob(downloadId!)?.status).toBe("cancelled");
    expect(cancelled).toBe(true);
    expect(sandbox.requests.some((request) => request.route === "download-abort")).toBe(true);
    const saved = await fs.readdir(path.join(harness.root, "cancelled")).catch(() => []);
    expect(saved).toEqual([]);
  });
});
