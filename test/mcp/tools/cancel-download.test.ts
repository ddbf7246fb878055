// cancel_download: an agent stops a zip job it started, at Vagon.
// Real sandbox, real client, real server, SDK client in memory.
import { describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";
import { downloadResultOf as resultOf } from "../../helpers/results.js";

describe("cancel_download", () => {
  // Jobs stay pending longer than any test may run (its 30 s timeout), so "pending" is what the
  // test sees however slow its first calls are.
  const { harness, sandbox } = useHarness({
    sandboxOptions: { zipJob: { pendingMs: 60_000, processingMs: 5000 } },
  });

  it("cancels a queued job with cancel_download, and a second cancel is an error", async () => {
    const started = resultOf(
      await harness.callTool("download_files", { directory_id: SEED.projectFolderId, wait_seconds: 0 }),
    );
    expect(started.status).toBe("pending");
    const id = started.download_id!;

    const cancelled = await harness.callTool("cancel_download", { download_id: id });
    expect(cancelled.isError, toolText(cancelled)).toBeFalsy();
    expect(cancelled.structuredContent).toEqual({ download_id: id, status: "cancelled" });
    expect(sandbox.getJob(id)?.status).toBe("cancelled");

    const again = await harness.callTool("cancel_download", { download_id: id });
    expect(again.isError).toBe(true);
    expect(toolText(again)).toMatch(/can't be cancelled because it has already finished/);

    const picked = await harness.callTool("get_download", { download_id: id, wait_seconds: 0 });
    expect(picked.isError).toBe(true);
    expect(toolText(picked)).toMatch(/cancelled/);
  });
});
