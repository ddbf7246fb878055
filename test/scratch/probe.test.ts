import { it } from "vitest";
import { startHarness, toolText } from "../helpers/hardening.js";

it("probe", async () => {
  const h = await startHarness();
  for (const [name, args] of [
    ["list_files", { folder_id: 18088 }],
    ["read_file", { id: 18094 }],
    ["list_files", { location: "Shared" }],
    ["list_files", { location: "machine", machine_id: "100" }],
    ["download_files", { file_ids: ["18094"] }],
  ] as const) {
    const r = await h.callTool(name, args as Record<string, unknown>);
    console.log(name, JSON.stringify(args), "=>", toolText(r).slice(0, 600));
  }
  await h.close();
});
