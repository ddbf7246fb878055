// The ranged reader on its own, as the parallel downloads will use it: ranges read concurrently
// from one reader, a consumer that stops early, one link refresh shared by concurrent reads,
// and failures worded for the user.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { createVagonClient } from "../../src/vagon/client.js";
import { openStoredFile, RangedReadError } from "../../src/vagon/ranged-reader.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { patternBytes } from "../hardening/fixtures.js";

describe("the ranged reader", () => {
  let sandbox: Sandbox;
  let client: VagonClient;
  let clockAheadMs = 0;
  const content = patternBytes(3 * 1024 * 1024, 11);
  let fileId: number;

  beforeAll(async () => {
    sandbox = await startSandbox({ presignTtlSeconds: 60, clock: () => Date.now() + clockAheadMs });
    client = createVagonClient({
      apiUrl: sandbox.apiUrl,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
    });
    fileId = await sandbox.addFile({ parentId: 0, name: "frames.bin", content });
  });

  afterAll(async () => {
    await client?.close();
    await sandbox?.close();
  });

  it("reads disjoint ranges concurrently, each byte exact", async () => {
    const file = await openStoredFile(client, fileId);
    const reader = file!.reader;
    expect(reader.sizeBytes).toBe(content.length);
    const starts = [0, 1_000_000, 2_000_000, 3_000_000];
    const parts = await Promise.all(starts.map((start) => reader.read(start, 1_000_000)));
    expect(Buffer.concat(parts).equals(content.subarray(0, 3_000_000 + 145_728))).toBe(true);
    expect(reader.bytesFetched).toBe(content.length);
  });

  it("stops fetching when a stream's consumer stops early", async () => {
    const reader = (await openStoredFile(client, fileId))!.reader;
    const before = sandbox.servedBytes(fileId);
    let seen = 0;
    for await (const chunk of reader.streamRange(0, content.length)) {
      seen += chunk.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(sandbox.servedBytes(fileId) - before).toBeLessThan(content.length);
  });

  it("swaps an expired link for a fresh one once, shared by concurrent reads", async () => {
    const reader = (await openStoredFile(client, fileId))!.reader;
    sandbox.clearRequests();
    clockAheadMs = 120_000;
    try {
      const parts = await Promise.all([
        reader.read(0, 1000),
        reader.read(5000, 1000),
        reader.read(9000, 1000),
      ]);
      expect(parts[1]!.equals(content.subarray(5000, 6000))).toBe(true);
    } finally {
      clockAheadMs = 0;
    }
    expect(sandbox.requests.filter((request) => request.route === "download")).toHaveLength(1);
    expect(
      sandbox.requests.filter((request) => request.route === "s3-get" && request.status === 403),
    ).toHaveLength(3);
  });

  it("answers a file gone from storage with a RangedReadError naming it", async () => {
    const goneId = await sandbox.addFile({ parentId: 0, name: "gone.bin", content: Buffer.alloc(5000, 1) });
    const reader = (await openStoredFile(client, goneId))!.reader;
    await client.deleteFile(goneId);
    const failure = await reader.read(0, 100).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RangedReadError);
    expect(String((failure as Error).message)).toMatch(
      /Reading the file from storage failed: the file is no longer in storage/,
    );
  });
});
