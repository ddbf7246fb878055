import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { call } from "./sandbox-client.js";

const MB = 1024 * 1024;

interface UploadUrl {
  part_number: number;
  url: string;
}

async function putPart(url: string, bytes: Buffer): Promise<{ status: number; etag: string; body: string }> {
  const response = await request(url, { method: "PUT", body: bytes });
  return {
    status: response.statusCode,
    etag: String(response.headers.etag ?? ""),
    body: await response.body.text(),
  };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers });
  return {
    status: response.statusCode,
    headers: response.headers,
    bytes: Buffer.from(await response.body.arrayBuffer()),
  };
}

describe("sandbox uploads, downloads and deletes", () => {
  let sandbox: Sandbox;
  let nowMs = Date.now();
  // A fresh seed per test: one replaces the seeded welcome.txt that others download.
  beforeEach(async () => {
    nowMs = Date.now();
    sandbox = await startSandbox({ clock: () => nowMs });
  });
  afterEach(() => sandbox.close());

  /** Creates a file entry and uploads `bytes` in `chunkMb` parts; returns the entry id and part ETags. */
  async function createAndPut(
    name: string,
    bytes: Buffer,
    chunkMb: number,
    extra: Record<string, unknown> = {},
  ) {
    const created = await call(sandbox, "POST", "/files", {
      body: {
        file_name: name,
        object_type: "file",
        content_type: "application/octet-stream",
        size: bytes.length,
        chunk_size: chunkMb,
        parent_id: 0,
        ...extra,
      },
    });
    expect(created.status).toBe(200);
    const urls: UploadUrl[] = created.json.upload_urls;
    const parts = [];
    for (const { part_number, url } of urls) {
      const slice = bytes.subarray((part_number - 1) * chunkMb * MB, part_number * chunkMb * MB);
      const put = await putPart(url, slice);
      expect(put.status).toBe(200);
      parts.push({ part_number, etag: put.etag });
    }
    return { id: created.json.id as number, parts, created: created.json };
  }

  it("uploads a 3-part file and the bytes round-trip", async () => {
    const bytes = randomBytes(20 * MB);
    const { id, parts, created } = await createAndPut("render.bin", bytes, 8);
    expect(created.upload_urls).toHaveLength(3);
    expect(created.chunk_size).toBe(8);
    expect(sandbox.getEntry(id)).toMatchObject({ status: "pending_upload", sizeBytes: 20 * MB });
    const firstMd5 = createHash("md5")
      .update(bytes.subarray(0, 8 * MB))
      .digest("hex");
    expect(parts[0]?.etag).toBe(`"${firstMd5}"`);

    const completed = await call(sandbox, "POST", `/files/${id}/complete`, { body: { parts } });
    expect(completed.status).toBe(200);
    expect(completed.json.uid).toBe(created.uid);
    const download = await get(completed.json.download_url);
    expect(download.status).toBe(200);
    expect(download.headers["content-length"]).toBe(String(20 * MB));
    expect(download.bytes.equals(bytes)).toBe(true);
    expect(sandbox.getEntry(id)).toMatchObject({ status: "upload_completed" });
    expect((await sandbox.readFile(id)).equals(bytes)).toBe(true);

    const link = await call(sandbox, "POST", "/files/download", { body: { file_ids: [id] } });
    expect(link.json).toMatchObject({
      size: 20 * MB,
      name: "render.bin",
      content_type: "application/octet-stream",
    });
  });

  it("resumes a download with Range: bytes=N-", async () => {
    const link = await call(sandbox, "POST", "/files/download", {
      body: { file_ids: [SEED.sharedTextFileId] },
    });
    const full = await get(link.json.url);
    const resumed = await get(link.json.url, { range: "bytes=10-" });
    expect(resumed.status).toBe(206);
    expect(resumed.headers["content-range"]).toBe(`bytes 10-${full.bytes.length - 1}/${full.bytes.length}`);
    expect(Buffer.concat([full.bytes.subarray(0, 10), resumed.bytes]).equals(full.bytes)).toBe(true);
    const beyond = await get(link.json.url, { range: `bytes=${full.bytes.length}-` });
    expect(beyond.status).toBe(416);
  });

  it("creates a zero-byte file with one part", async () => {
    const { id, parts, created } = await createAndPut("empty.txt", Buffer.alloc(0), 8);
    expect(created.upload_urls).toHaveLength(1);
    expect((await call(sandbox, "POST", `/files/${id}/complete`, { body: { parts } })).status).toBe(200);
    expect(await sandbox.readFile(id)).toHaveLength(0);
  });

  it("answers a chunked part PUT without Content-Length with 501 NotImplemented", async () => {
    const created = await call(sandbox, "POST", "/files", {
      body: {
        file_name: "chunked.bin",
        object_type: "file",
        content_type: "application/octet-stream",
        size: 10,
        parent_id: 0,
      },
    });
    const response = await request(created.json.upload_urls[0].url, {
      method: "PUT",
      body: Readable.from([Buffer.alloc(10)]),
    });
    expect(response.statusCode).toBe(501);
    expect(await response.body.text()).toContain("<Code>NotImplemented</Code>");
  });

  it("refuses tampered, expired and unknown presigned URLs like S3", async () => {
    const link = await call(sandbox, "POST", "/files/download", {
      body: { file_ids: [SEED.sharedTextFileId] },
    });
    const url = new URL(link.json.url);
    const tampered = new URL(url);
    tampered.pathname = tampered.pathname.replace("welcome", "welcomX");
    const tamperedAnswer = await get(tampered.toString());
    expect(tamperedAnswer.status).toBe(403);
    expect(tamperedAnswer.bytes.toString()).toContain("SignatureDoesNotMatch");
    const unsigned = await get(`${url.origin}${url.pathname}`);
    expect(unsigned.status).toBe(403);
    nowMs += 3601_000;
    try {
      const expired = await get(url.toString());
      expect(expired.status).toBe(403);
      expect(expired.bytes.toString()).toContain("Request has expired");
    } finally {
      nowMs -= 3601_000;
    }
    const fileId = await sandbox.addFile({ parentId: 0, name: "soon-gone.txt", content: "bye" });
    const goneLink = await call(sandbox, "POST", "/files/download", { body: { file_ids: [fileId] } });
    expect((await call(sandbox, "DELETE", `/files/${fileId}`)).status).toBe(200);
    const gone = await get(goneLink.json.url);
    expect(gone.status).toBe(404);
    expect(gone.bytes.toString()).toContain("NoSuchKey");
  });

  it("refuses parts out of order, missing or with a wrong ETag (400), and keeps the upload open", async () => {
    const bytes = randomBytes(3 * MB);
    const { id, parts } = await createAndPut("parts.bin", bytes, 1);
    const [first, second, third] = parts;
    if (!first || !second || !third) throw new Error("expected 3 parts");
    const outOfOrder = await call(sandbox, "POST", `/files/${id}/complete`, {
      body: { parts: [second, first, third] },
    });
    expect(outOfOrder.status).toBe(400);
    expect(outOfOrder.json.message).toMatch(/in order/);
    const missing = await call(sandbox, "POST", `/files/${id}/complete`, {
      body: { parts: [first, second] },
    });
    expect(missing.status).toBe(400);
    const unquoted = await call(sandbox, "POST", `/files/${id}/complete`, {
      body: { parts: [first, second, { ...third, etag: third.etag.replaceAll('"', "") }] },
    });
    expect(unquoted.status).toBe(400);
    expect(unquoted.json.message).toMatch(/ETag of part 3/);
    expect((await call(sandbox, "POST", `/files/${id}/complete`, { body: { parts } })).status).toBe(200);
  });

  it("deletes the entry and answers 452 when the uploaded size differs from the declared one", async () => {
    const created = await call(sandbox, "POST", "/files", {
      body: {
        file_name: "short.bin",
        object_type: "file",
        content_type: "application/octet-stream",
        size: 1000,
        parent_id: 0,
      },
    });
    const put = await putPart(created.json.upload_urls[0].url, randomBytes(999));
    const completed = await call(sandbox, "POST", `/files/${created.json.id}/complete`, {
      body: { parts: [{ part_number: 1, etag: put.etag }] },
    });
    expect(completed.status).toBe(452);
    expect(completed.json.client_code).toBe(452);
    expect(sandbox.getEntry(created.json.id)?.deleted).toBe(true);
    expect(sandbox.children(0).some((entry) => entry.name === "short.bin")).toBe(false);
  });

  it("answers 451 on a name clash, and replaces the file with overwrite: true", async () => {
    const body = {
      file_name: "welcome.txt",
      object_type: "file",
      content_type: "text/plain",
      size: 5,
      parent_id: 0,
    };
    const clash = await call(sandbox, "POST", "/files", { body });
    expect(clash.status).toBe(451);
    expect(clash.json.message).toMatch(/already exists/);
    const folderClash = await call(sandbox, "POST", "/files", {
      body: { file_name: "Project Folder", object_type: "directory", parent_id: 0 },
    });
    expect(folderClash.status).toBe(451);

    const fresh = Buffer.from("hello");
    const replacing = await call(sandbox, "POST", "/files", { body: { ...body, overwrite: true } });
    expect(replacing.status).toBe(200);
    // The old file stays until the new one completes.
    expect(sandbox.getEntry(SEED.sharedTextFileId)?.deleted).toBe(false);
    const put = await putPart(replacing.json.upload_urls[0].url, fresh);
    await call(sandbox, "POST", `/files/${replacing.json.id}/complete`, {
      body: { parts: [{ part_number: 1, etag: put.etag }] },
    });
    expect(sandbox.getEntry(SEED.sharedTextFileId)?.deleted).toBe(true);
    expect((await sandbox.readFile(replacing.json.id)).toString()).toBe("hello");
  });

  it("answers 450 when the storage is full, at create and at complete", async () => {
    sandbox.setStorageQuota(10 * MB, SEED.runningMachineId);
    try {
      const tooBig = await call(sandbox, "POST", "/files", {
        body: {
          file_name: "big.bin",
          object_type: "file",
          content_type: "application/octet-stream",
          size: 11 * MB,
          parent_id: 0,
          machine_id: SEED.runningMachineId,
        },
      });
      expect(tooBig.status).toBe(450);
      expect(tooBig.json.message).toMatch(/Storage full/);

      const created = await call(sandbox, "POST", "/files", {
        body: {
          file_name: "fits.bin",
          object_type: "file",
          content_type: "application/octet-stream",
          size: 2 * MB,
          parent_id: 0,
          machine_id: SEED.runningMachineId,
        },
      });
      expect(created.status).toBe(200);
      const put = await putPart(created.json.upload_urls[0].url, randomBytes(2 * MB));
      sandbox.setStorageQuota(1 * MB, SEED.runningMachineId);
      const completed = await call(sandbox, "POST", `/files/${created.json.id}/complete`, {
        body: { parts: [{ part_number: 1, etag: put.etag }] },
      });
      expect(completed.status).toBe(450);
      expect(sandbox.getEntry(created.json.id)?.deleted).toBe(true);
    } finally {
      sandbox.setStorageQuota(25 * 1024 * MB, SEED.runningMachineId);
    }
  });

  it("validates create: bad object_type, unknown parent (400), unknown machine (404), directories at once", async () => {
    expect(
      (await call(sandbox, "POST", "/files", { body: { file_name: "x", object_type: "link", parent_id: 0 } }))
        .status,
    ).toBe(400);
    const badParent = await call(sandbox, "POST", "/files", {
      body: { file_name: "x", object_type: "directory", parent_id: 999_999 },
    });
    expect(badParent.status).toBe(400);
    const crossStorage = await call(sandbox, "POST", "/files", {
      body: {
        file_name: "x",
        object_type: "directory",
        parent_id: SEED.projectFolderId,
        machine_id: SEED.runningMachineId,
      },
    });
    expect(crossStorage.status).toBe(400);
    const noMachine = await call(sandbox, "POST", "/files", {
      body: { file_name: "x", object_type: "directory", parent_id: 0, machine_id: 999 },
    });
    expect(noMachine.status).toBe(404);
    const directory = await call(sandbox, "POST", "/files", {
      body: {
        file_name: "Renders",
        object_type: "directory",
        parent_id: 0,
        machine_id: SEED.runningMachineId,
      },
    });
    expect(directory.json).toMatchObject({ upload_urls: null, client_code: 200 });
    expect(sandbox.getEntry(directory.json.id)).toMatchObject({
      kind: "directory",
      machineId: SEED.runningMachineId,
    });
  });

  it("deletes a folder recursively, and refuses roots (450) and unknown ids (404)", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Doomed" });
    const subId = sandbox.addDirectory({ parentId: folderId, name: "sub" });
    const fileId = await sandbox.addFile({ parentId: subId, name: "deep.txt", content: "deep" });
    const deleted = await call(sandbox, "DELETE", `/files/${folderId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ client_code: 200, message: "OK" });
    expect(sandbox.getEntry(fileId)?.deleted).toBe(true);
    expect(sandbox.getEntry(subId)?.deleted).toBe(true);
    expect((await call(sandbox, "DELETE", `/files/${folderId}`)).status).toBe(404);
    expect((await call(sandbox, "GET", "/files", { query: { parent_id: subId } })).status).toBe(404);
    const root = await call(sandbox, "DELETE", `/files/${SEED.sharedRootId}`);
    expect(root.status).toBe(450);
    expect(root.json.client_code).toBe(450);
  });
});
