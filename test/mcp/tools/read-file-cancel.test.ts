// A grep the client cancels stops reading the file from storage: the server's read ends with the
// call, rather than the whole file still streaming in for nobody. The storage serves slowly here
// (a per-connection cap) so that the file can't all arrive before the cancellation does.
import { expect, it } from "vitest";
import { useHarness } from "../../helpers/harness.js";

const { harness, sandbox } = useHarness();

it("stops reading a file from storage when its grep is cancelled", async () => {
  const sizeBytes = 16 * 1024 * 1024;
  const fileId = await sandbox.addFile({
    parentId: 0,
    name: "quiet.log",
    content: Buffer.alloc(sizeBytes, "INFO all quiet\n"),
    contentType: "text/plain",
  });
  // 8 s for the whole file: far longer than a cancellation takes to reach the server.
  sandbox.setBandwidthCap(2 * 1024 * 1024);
  try {
    const controller = new AbortController();
    const call = harness.mcp.callTool(
      { name: "read_file", arguments: { file_id: fileId, grep: "ERROR" } },
      undefined,
      { signal: controller.signal },
    );
    await expect.poll(() => sandbox.servedBytes(fileId)).toBeGreaterThan(1024 * 1024);
    controller.abort(new Error("the user stopped it"));
    await expect(call).rejects.toThrow("the user stopped it");
    await expect.poll(() => sandbox.readsInFlight(fileId)).toBe(0);
    expect(sandbox.servedBytes(fileId)).toBeLessThan(sizeBytes);
  } finally {
    sandbox.setBandwidthCap(null);
  }
});
