// download_task_bundle: an agent fetches a task's outputs as one zip, saved and extracted inside
// the root, with progress. Real sandbox, real client, real server, SDK client in memory.
import * as fs from "node:fs/promises";
import path from "node:path";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { useHarness } from "../../helpers/harness.js";
import { downloadResultOf as resultOf } from "../../helpers/results.js";

describe("download_task_bundle with quick zip jobs", () => {
  const { harness } = useHarness({ sandboxOptions: { zipJob: { pendingMs: 30, processingMs: 60 } } });

  it("bundles task 42 with progress that grows with every notification on one total, one top-level folder per input folder", async () => {
    const progress: Progress[] = [];
    const raw = (await harness.mcp.callTool(
      { name: "download_task_bundle", arguments: { task_id: SEED.taskId, save_to: "task", extract: true } },
      undefined,
      { onprogress: (update) => progress.push(update), timeout: 30_000 },
    )) as CallToolResult;
    const result = resultOf(raw);
    expect(result.status).toBe("extracted");
    expect(new Set(result.files!.map((file) => file.split("/")[0]))).toEqual(
      new Set(["Task 42 Output", "Session_1950"]),
    );
    expect(result.files).toEqual(
      expect.arrayContaining(["Task 42 Output/result.csv", "Task 42 Output/charts/plot.png"]),
    );
    for (const file of result.files!) {
      await expect(fs.stat(path.join(result.saved_to!, file))).resolves.toBeTruthy();
    }

    expect(progress.length).toBeGreaterThan(0);
    // The MCP spec: progress MUST increase with every notification; a repeat is a violation.
    const values = progress.map((update) => update.progress);
    for (let index = 1; index < values.length; index += 1) {
      expect(values[index]).toBeGreaterThan(values[index - 1]!);
    }
    // One meaning of total for the whole call: the same in every notification.
    expect(new Set(progress.map((update) => update.total)).size).toBe(1);
    // Sizes in the units used everywhere else (no "0/0 MB" for a file of a few KB).
    for (const update of progress.filter((item) => item.message?.startsWith("downloading"))) {
      expect(update.message).toMatch(/^downloading [\d.]+ (bytes|KB|MB|GB)(\/[\d.]+ (bytes|KB|MB|GB))?$/);
      expect(update.message).not.toMatch(/\b0\/0\b/);
    }
    const last = progress.at(-1)!;
    expect(last.total).toBeDefined();
    expect(last.progress).toBe(last.total);
    // Every phase is named, in order; the download and the extraction are both shown.
    const phases = progress.map((update) => update.message?.split(" ")[0]);
    const order = ["queued", "zipping", "downloading", "extracting", "extracted"];
    expect(phases.every((phase) => order.includes(phase ?? ""))).toBe(true);
    const ranks = phases.map((phase) => order.indexOf(phase ?? ""));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(phases).toEqual(expect.arrayContaining(["downloading", "extracting"]));
    expect(last.message).toBe(`extracted ${result.files!.length} files`);
  });
});
