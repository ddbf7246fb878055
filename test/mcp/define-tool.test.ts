// Registration refuses what only a test used to catch: a tool that changes Vagon Files but tells
// hosts it is read-only (a host may run such a tool without asking the user).
import { McpServer } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { type AnyTool, registerTool, type ToolContext } from "../../src/mcp/kit/define-tool.js";
import { deleteFile } from "../../src/mcp/tools/delete-file.js";
import { listFiles } from "../../src/mcp/tools/list-files.js";

// Registration reads nothing of the context; the handlers that would are never called here.
const base = {} as Omit<ToolContext, "extra">;
const register = (tool: AnyTool) => registerTool(new McpServer({ name: "t", version: "1" }), tool, base);

describe("registering a tool", () => {
  it("refuses a mutating tool annotated readOnlyHint: true, naming it", () => {
    const mislabelled: AnyTool = {
      ...deleteFile,
      annotations: { ...deleteFile.annotations, readOnlyHint: true },
    };
    expect(() => register(mislabelled)).toThrow(
      /delete_file changes Vagon Files but is annotated readOnlyHint: true/,
    );
  });

  it("accepts the same tool annotated honestly, and a read-only tool that changes nothing", () => {
    expect(() => register(deleteFile)).not.toThrow();
    expect(() => register(listFiles)).not.toThrow();
  });
});
