// download_files of a big file: fetched as parallel Range GETs written in place, surviving a
// cut-short range and a range that fails twice, and leaving nothing behind when cancelled or
// failed: not even the folder the call created to save into.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { RANGE_BYTES } from "../../../src/vagon/parallel-download.js";
import { toolText, useHarness } from "../../helpers/harness.js";

const { harness, sandbox } = useHarness();
/** Five ranges and a bit: big enough to be fetched in parallel. */
const bytes = randomBytes(5 * RANGE_BYTES + 12_345);
let fileId: number;

beforeAll(async () => {
  fileId = await sandbox.addFile({ parentId: 0, name: "render.exr", content: bytes });
});

describe("download_files of a big file", () => {
  it("fetches ranges in parallel; a range cut short and one failing twice still save a byte-identical file", async () => {
    sandbox.setFaults({
      routes: {},
      scripted: [
        { route: "s3-get", rangeStart: RANGE_BYTES, fault: "truncate" },
        { route: "s3-get", rangeStart: 3 * RANGE_BYTES, fault: "error5xx", times: 2 },
      ],
    });
    sandbox.clearRequests();
    try {
      const result = await harness.callTool("download_files", { file_ids: [fileId], save_to: "big" });
      expect(result.isError, toolText(result)).toBeFalsy();
      const savedTo = (result.structuredContent as { saved_to: string }).saved_to;
      expect(path.basename(savedTo)).toBe("render.exr");
      expect((await fs.readFile(savedTo)).equals(bytes)).toBe(true);
      expect(readdirSync(path.dirname(savedTo))).toEqual(["render.exr"]);
      const gets = sandbox.requests.filter((request) => request.route === "s3-get");
      // 6 ranges, plus the resumed rest of the cut one and two retries of the failing one.
      expect(gets).toHaveLength(9);
      expect(gets.filter((request) => request.fault === "truncate")).toHaveLength(1);
      expect(gets.filter((request) => request.fault === "error5xx")).toHaveLength(2);
      expect(
        gets.filter((request) => request.fault === null).every((request) => request.status === 206),
      ).toBe(true);
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("a cancelled parallel download leaves nothing in the folder", async () => {
    // The third range is held unanswered; the others arrive.
    sandbox.setFaults({
      routes: {},
      scripted: [{ route: "s3-get", rangeStart: 2 * RANGE_BYTES, fault: "stall" }],
    });
    sandbox.clearRequests();
    const folder = path.join(harness.root, "cancelled");
    const controller = new AbortController();
    try {
      const call = harness.mcp.callTool(
        { name: "download_files", arguments: { file_ids: [fileId], save_to: "cancelled" } },
        CallToolResultSchema,
        { signal: controller.signal, timeout: 20_000 },
      );
      call.catch(() => {});
      await vi.waitFor(
        () => {
          expect(
            sandbox.requests.some((request) => request.route === "s3-get" && request.fault === "latency"),
          ).toBe(true);
          expect(readdirSync(folder).some((name) => name.endsWith(".partial"))).toBe(true);
        },
        { timeout: 20_000, interval: 20 },
      );
      controller.abort("user pressed stop");
      await expect(call).rejects.toThrow();
      // Nothing in it, and not the folder either: the call created it, so it goes with the rest.
      await vi.waitFor(() => expect(existsSync(folder)).toBe(false), { timeout: 20_000, interval: 20 });
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("a failed download removes the folders it created for save_to, and keeps the user's own empty folder", async () => {
    const missingId = 999_999;
    const failed = await harness.callTool("download_files", {
      file_ids: [missingId],
      save_to: "never/saved/here",
    });
    expect(failed.isError).toBe(true);
    expect(existsSync(path.join(harness.root, "never"))).toBe(false);

    await fs.mkdir(path.join(harness.root, "mine"));
    const intoMine = await harness.callTool("download_files", {
      file_ids: [missingId],
      save_to: "mine/new",
    });
    expect(intoMine.isError).toBe(true);
    expect(readdirSync(path.join(harness.root, "mine"))).toEqual([]);
  });
});
