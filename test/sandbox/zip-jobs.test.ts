import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { call } from "./sandbox-client.js";

/** Entry names and contents of a zip, read with yauzl. */
function readZip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) return reject(openError);
      const files = new Map<string, Buffer>();
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) {
          files.set(entry.fileName, Buffer.alloc(0));
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(files));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

async function fetchBytes(url: string): Promise<Buffer> {
  const response = await request(url);
  expect(response.statusCode).toBe(200);
  return Buffer.from(await response.body.arrayBuffer());
}

describe("sandbox zip download jobs", () => {
  let sandbox: Sandbox;
  let nowMs = Date.now();
  beforeAll(async () => {
    sandbox = await startSandbox({ zipJob: { pendingMs: 50, processingMs: 100 }, clock: () => nowMs });
  });
  afterAll(() => sandbox.close());

  /**
   * Moves the sandbox's clock one phase step (50 ms) per look until the job reaches `status`. The
   * phases follow that clock alone; only the zipping itself is real work, which is looked for again.
   */
  async function waitForStatus(downloadId: number, status: string) {
    for (let attempt = 0; attempt < 500; attempt++) {
      const answer = await call(sandbox, "GET", `/files/downloads/${downloadId}`);
      if (answer.json.attributes?.status === status) return answer.json;
      if (attempt < 10) nowMs += 50;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`job ${downloadId} never reached ${status}`);
  }

  it("zips a folder: pending → processing → uploaded, with the folder structure inside", async () => {
    const started = await call(sandbox, "POST", "/files/download", {
      body: { directory_id: SEED.projectFolderId },
    });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ name: "Project Folder.zip", client_code: 200 });
    const downloadId: number = started.json.download_id;
    const expectedSize =
      (await sandbox.readFile(SEED.briefFileId)).length +
      (await sandbox.readFile(SEED.dataCsvFileId)).length +
      (await sandbox.readFile(SEED.nestedFileId)).length;
    expect(started.json.size).toBe(expectedSize);

    const pending = await call(sandbox, "GET", `/files/downloads/${downloadId}`);
    expect(pending.json).toMatchObject({
      id: String(downloadId),
      type: "download",
      attributes: { status: "pending", size: expectedSize },
    });
    expect(pending.json.attributes.download_url).toBeUndefined();
    // Just short of the pending phase's end, it is still pending; at its end, processing.
    nowMs += 49;
    expect((await call(sandbox, "GET", `/files/downloads/${downloadId}`)).json.attributes.status).toBe(
      "pending",
    );
    nowMs += 1;
    expect((await call(sandbox, "GET", `/files/downloads/${downloadId}`)).json.attributes.status).toBe(
      "processing",
    );
    const uploaded = await waitForStatus(downloadId, "uploaded");
    expect(Date.parse(uploaded.attributes.expires_at) - nowMs).toBeGreaterThan(23.9 * 3600_000);

    const zip = await readZip(await fetchBytes(uploaded.attributes.download_url));
    expect([...zip.keys()].sort()).toEqual(["brief.md", "data.csv", "references/links.txt"]);
    expect(zip.get("brief.md")?.equals(await sandbox.readFile(SEED.briefFileId))).toBe(true);
    expect(sandbox.getJob(downloadId)?.status).toBe("uploaded");
  });

  it("puts file_ids at the top level and de-duplicates equal names", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Other" });
    const twinId = await sandbox.addFile({
      parentId: folderId,
      name: "welcome.txt",
      content: "the other welcome",
    });
    const started = await call(sandbox, "POST", "/files/download", {
      body: { file_ids: [SEED.sharedTextFileId, twinId, SEED.dataCsvFileId] },
    });
    const uploaded = await waitForStatus(started.json.download_id, "uploaded");
    const zip = await readZip(await fetchBytes(uploaded.attributes.download_url));
    expect([...zip.keys()].sort()).toEqual(["data.csv", "welcome (1).txt", "welcome.txt"]);
    expect(zip.get("welcome (1).txt")?.toString()).toBe("the other welcome");
  });

  it("bundles a task: one top-level folder per input directory", async () => {
    const started = await call(sandbox, "POST", "/files/download", { body: { task_id: SEED.taskId } });
    expect(started.status).toBe(200);
    const uploaded = await waitForStatus(started.json.download_id, "uploaded");
    const zip = await readZip(await fetchBytes(uploaded.attributes.download_url));
    expect([...zip.keys()].sort()).toEqual([
      "Session_1950/rec-20260121-214832.log",
      "Session_1950/rec-20260121-214832.mp4",
      "Task 42 Output/charts/plot.png",
      "Task 42 Output/result.csv",
      "Task 42 Output/summary.md",
    ]);
  });

  it("aborts a pending job (cancelled) and answers 4716 when aborting again", async () => {
    const started = await call(sandbox, "POST", "/files/download", { body: { task_id: SEED.taskId } });
    const downloadId = started.json.download_id;
    const aborted = await call(sandbox, "DELETE", `/files/downloads/${downloadId}`);
    expect(aborted.status).toBe(200);
    expect(sandbox.getJob(downloadId)?.status).toBe("cancelled");
    nowMs += 1000; // past every phase's end
    expect((await call(sandbox, "GET", `/files/downloads/${downloadId}`)).json.attributes.status).toBe(
      "cancelled",
    );
    const again = await call(sandbox, "DELETE", `/files/downloads/${downloadId}`);
    expect(again.status).toBe(400);
    expect(again.json.client_code).toBe(4716);
    expect(sandbox.requests.at(-1)).toMatchObject({ route: "download-abort", status: 400, clientCode: 4716 });
  });

  it("aborts a processing job: it never becomes uploaded", async () => {
    const started = await call(sandbox, "POST", "/files/download", {
      body: { directory_id: SEED.projectFolderId },
    });
    await waitForStatus(started.json.download_id, "processing");
    expect((await call(sandbox, "DELETE", `/files/downloads/${started.json.download_id}`)).status).toBe(200);
    nowMs += 1000; // past every phase's end
    const after = await call(sandbox, "GET", `/files/downloads/${started.json.download_id}`);
    expect(after.json.attributes).toMatchObject({ status: "cancelled" });
    expect(after.json.attributes.download_url).toBeUndefined();
  });

  it("fails a job whose input was deleted before zipping", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Fleeting" });
    const fileId = await sandbox.addFile({ parentId: folderId, name: "a.txt", content: "a" });
    await sandbox.addFile({ parentId: folderId, name: "b.txt", content: "b" });
    const started = await call(sandbox, "POST", "/files/download", { body: { directory_id: folderId } });
    await call(sandbox, "DELETE", `/files/${fileId}`);
    await waitForStatus(started.json.download_id, "failed");
    expect(
      (await call(sandbox, "DELETE", `/files/downloads/${started.json.download_id}`)).json.client_code,
    ).toBe(4716);
  });

  it("answers 4716 for an uploaded job and 404 once the job expired", async () => {
    const started = await call(sandbox, "POST", "/files/download", {
      body: { directory_id: SEED.projectFolderId },
    });
    await waitForStatus(started.json.download_id, "uploaded");
    expect(
      (await call(sandbox, "DELETE", `/files/downloads/${started.json.download_id}`)).json.client_code,
    ).toBe(4716);
    nowMs += 24 * 3600_000 + 1_000;
    try {
      expect(
        (await call(sandbox, "GET", `/files/downloads/${started.json.download_id}`, { timestampMs: nowMs }))
          .status,
      ).toBe(404);
    } finally {
      nowMs -= 24 * 3600_000 + 1_000;
    }
    expect((await call(sandbox, "GET", "/files/downloads/999999")).status).toBe(404);
  });

  it("needs the multiple_file_download flag for zips (4710) but not for one file", async () => {
    sandbox.setMultipleFileDownload(false);
    try {
      const refused = await call(sandbox, "POST", "/files/download", {
        body: { directory_id: SEED.projectFolderId },
      });
      expect(refused.status).toBe(403);
      expect(refused.json.client_code).toBe(4710);
      const single = await call(sandbox, "POST", "/files/download", {
        body: { file_ids: [SEED.sharedTextFileId] },
      });
      expect(single.status).toBe(200);
      expect(single.json.url).toMatch(/X-Amz-Signature=/);
    } finally {
      sandbox.setMultipleFileDownload(true);
    }
  });

  it("answers 4722 unless exactly one of directory_id, file_ids, task_id is given", async () => {
    for (const body of [{}, { directory_id: SEED.projectFolderId, task_id: SEED.taskId }, { file_ids: [] }]) {
      const answer = await call(sandbox, "POST", "/files/download", { body });
      expect(answer.status).toBe(400);
      expect(answer.json.client_code).toBe(4722);
    }
  });

  it("answers 4717, 4718 and 4719 for what can't be zipped", async () => {
    const fileAsDirectory = await call(sandbox, "POST", "/files/download", {
      body: { directory_id: SEED.sharedTextFileId },
    });
    expect(fileAsDirectory.json.client_code).toBe(4717);
    const missing = await call(sandbox, "POST", "/files/download", {
      body: { file_ids: [SEED.sharedTextFileId, 999_999] },
    });
    expect(missing.json.client_code).toBe(4718);
    const emptyId = sandbox.addDirectory({ parentId: 0, name: "Empty" });
    sandbox.addDirectory({ parentId: emptyId, name: "also empty" });
    const empty = await call(sandbox, "POST", "/files/download", { body: { directory_id: emptyId } });
    expect(empty.json.client_code).toBe(4719);
    expect((await call(sandbox, "POST", "/files/download", { body: { directory_id: 999_999 } })).status).toBe(
      404,
    );
  });
});
