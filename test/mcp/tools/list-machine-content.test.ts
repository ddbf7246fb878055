// list_machine_content: the live disk of a machine, as an agent browsing it sees it.
// Real sandbox, real client, real server, SDK client in memory.

import { beforeAll, describe, expect, it } from "vitest";
import { SEED } from "../../../src/sandbox/index.js";
import { startHarness, toolText, useHarness } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";

const { harness, sandbox } = useHarness();

beforeAll(async () => {
  // tools/list first, as hosts do: the SDK client then checks each result against its outputSchema.
  await harness.mcp.listTools();
});

describe("list_machine_content", () => {
  it("lists a folder on running machine 100's live disk, forward slashes accepted", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.runningMachineId,
      path: "C:/Users",
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    const structured = withRecords<{ entries: Array<{ name: string; kind: string }> }>(
      result.structuredContent,
    );
    expect(structured.entries.map((entry) => entry.name).sort()).toEqual(["Administrator", "Public"]);
    expect(structured.entries.every((entry) => entry.kind === "directory")).toBe(true);
    expect(toolText(result)).toContain("Administrator\\");
  });

  it("shows file sizes when Vagon's answer has them (older revision) and says when it has none (current)", async () => {
    const original = sandbox.shape;
    try {
      const listed: Record<string, { text: string; entries: Array<Record<string, unknown>> }> = {};
      for (const shape of ["flat", "jsonapi"] as const) {
        sandbox.shape = shape;
        const result = await harness.callTool("list_machine_content", {
          machine_id: SEED.runningMachineId,
          path: "C:/Users/Administrator/Documents",
        });
        expect(result.isError, toolText(result)).toBeFalsy();
        listed[shape] = {
          text: toolText(result),
          entries: withRecords<{ entries: Array<Record<string, unknown>> }>(result.structuredContent).entries,
        };
      }
      // The older revision sends {name, type, path, size}: the size is shown, in both forms.
      expect(listed.flat?.entries).toContainEqual({ name: "notes.txt", kind: "file", size: 1_024 });
      expect(listed.flat?.text).toMatch(/^notes\.txt {2}1(\.0)? KB$/m);
      // The current one sends {path, name, is_directory}: no size, and the text says why.
      expect(listed.jsonapi?.entries).toContainEqual({ name: "notes.txt", kind: "file", size: null });
      expect(listed.jsonapi?.text.split("\n")[0]).toContain("Vagon sent no file sizes");
    } finally {
      sandbox.shape = original;
    }
  });

  it("explains that stopped machine 200 isn't running", async () => {
    const result = await harness.callTool("list_machine_content", {
      machine_id: SEED.stoppedMachineId,
      path: "C:/Users",
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/not running/i);
  });
});

describe("a path missing on a running machine's disk", () => {
  it("names the path, not the machine", async () => {
    const harness = await startHarness();
    try {
      const result = await harness.callTool("list_machine_content", { machine_id: 100, path: "C:/Nope" });
      expect(result.isError).toBe(true);
      expect(toolText(result)).toMatch(/Nothing was found at C:\\Nope/);
    } finally {
      await harness.close();
    }
  });
});
