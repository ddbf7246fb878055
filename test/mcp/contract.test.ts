// What a host sees before any call: the tools named as the contract says, each with a
// description a model can choose by, a described field for every input, an output schema and
// honest annotations; read-only mode offers only the tools that leave Vagon Files unchanged.
import { describe, expect, it } from "vitest";
import { READ_ONLY_TOOLS } from "../../src/mcp/server.js";
import { useHarness } from "../helpers/harness.js";

interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/** SPEC "Housekeeping and reading": the shared filter inputs. */
const FILTER = [
  "location",
  "machine_id",
  "parent_id",
  "name",
  "kind",
  "modified_before",
  "modified_after",
  "min_size",
  "max_size",
  "max_depth",
];

const CONTRACT: Record<string, string[]> = {
  list_files: [
    "location",
    "machine_id",
    "parent_id",
    "query",
    "task_id",
    "page",
    "per_page",
    "limit",
    "recursive",
    "max_depth",
    "cursor",
  ],
  list_machine_content: ["machine_id", "path"],
  find_files: [...FILTER, "sort", "order", "limit"],
  storage_usage: ["location", "machine_id", "parent_id", "depth", "top"],
  delete_files: ["file_ids", ...FILTER, "confirm"],
  upload_file: [
    "local_path",
    "content",
    "encoding",
    "location",
    "machine_id",
    "parent_id",
    "file_name",
    "overwrite",
    "content_type",
    "chunk_size_mb",
    "skip_existing",
    "exclude",
  ],
  create_upload_link: [
    "file_name",
    "size",
    "location",
    "machine_id",
    "parent_id",
    "overwrite",
    "content_type",
    "chunk_size_mb",
  ],
  complete_upload: ["file_id", "etags"],
  create_directory: ["name", "location", "machine_id", "parent_id"],
  download_files: ["file_ids", "directory_id", "save_to", "extract", "wait_seconds"],
  download_task_bundle: ["task_id", "save_to", "extract", "wait_seconds"],
  get_download: ["download_id", "save_to", "extract", "wait_seconds"],
  cancel_download: ["download_id"],
  delete_file: ["file_id"],
  read_file: [
    "file_id",
    "head",
    "tail",
    "offset",
    "length",
    "grep",
    "ignore_case",
    "context",
    "entry",
    "max_bytes",
  ],
};

const { harness, sandbox } = useHarness();

describe("the tool list", () => {
  it("offers exactly the contract tools with exactly their input fields", async () => {
    const { tools } = await harness.mcp.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const tool of tools) {
      const properties = (tool.inputSchema as JsonSchema).properties ?? {};
      expect(Object.keys(properties).sort(), tool.name).toEqual([...(CONTRACT[tool.name] ?? [])].sort());
    }
  });

  it("keeps tools/list lean: the model-facing definitions stay under their byte ceilings", async () => {
    const { tools } = await harness.mcp.listTools();
    // What a host puts in the model's context for each tool: its name, description and input schema.
    const bytesOf = (names?: string[]) =>
      tools
        .filter((tool) => !names || names.includes(tool.name))
        .reduce(
          (sum, tool) =>
            sum +
            Buffer.byteLength(
              JSON.stringify({
                name: tool.name,
                description: tool.description,
                inputSchema: tool.inputSchema,
              }),
            ),
          0,
        );
    // The housekeeping tools share their filter fields and keep them brief.
    expect(bytesOf(["find_files", "storage_usage", "delete_files"])).toBeLessThanOrEqual(5 * 1024);
    // Issue 10's ceiling for every tool together: a new tool must make room first.
    expect(bytesOf()).toBeLessThanOrEqual(16 * 1024);
    // Without the SDK's boilerplate (lean-tool-list.ts): no $schema URL, no ±2^53 integer bounds.
    const listed = JSON.stringify(tools.map((tool) => tool.inputSchema));
    expect(listed).not.toContain("$schema");
    expect(listed).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  it("describes every tool and every input field for the model", async () => {
    const { tools } = await harness.mcp.listTools();
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description, tool.name).toContain("Use this tool when you need to:");
      const properties = (tool.inputSchema as JsonSchema).properties ?? {};
      for (const [field, schema] of Object.entries(properties)) {
        expect(schema.description?.length ?? 0, `${tool.name}.${field}`).toBeGreaterThan(10);
      }
    }
  });

  it("declares an output schema and all four annotations on every tool", async () => {
    const { tools } = await harness.mcp.listTools();
    for (const tool of tools) {
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      expect(tool.annotations, tool.name).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
        openWorldHint: true,
      });
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("delete_file")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("delete_files")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("find_files")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("storage_usage")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("list_files")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("list_machine_content")?.annotations?.readOnlyHint).toBe(true);
    // Downloads write local files when asked, so they don't claim to be read-only.
    expect(byName.get("download_files")?.annotations?.readOnlyHint).toBe(false);
  });

  it("requires the identifying input of the tools that act on one thing", async () => {
    const { tools } = await harness.mcp.listTools();
    const required = (name: string) =>
      (tools.find((tool) => tool.name === name)?.inputSchema as JsonSchema | undefined)?.required ?? [];
    expect(required("list_machine_content").sort()).toEqual(["machine_id", "path"]);
    expect(required("create_directory")).toEqual(["name"]);
    expect(required("download_task_bundle")).toEqual(["task_id"]);
    expect(required("get_download")).toEqual(["download_id"]);
    expect(required("cancel_download")).toEqual(["download_id"]);
    expect(required("delete_file")).toEqual(["file_id"]);
    expect(required("list_files")).toEqual([]);
    expect(required("read_file")).toEqual(["file_id"]);
    expect(required("create_upload_link").sort()).toEqual(["file_name", "size"]);
    expect(required("complete_upload").sort()).toEqual(["etags", "file_id"]);
  });
});

describe("read-only mode", () => {
  const { harness: readOnly } = useHarness({ sandbox, config: { readOnly: true } });

  it("tells the model in its instructions that nothing can be uploaded, created or deleted", async () => {
    const text = readOnly.mcp.getInstructions() ?? "";
    expect(text).toMatch(/read-only/);
    expect(text).not.toMatch(/download, upload, create folders or delete/);
  });

  it("offers the tools that change nothing at Vagon and refuses the others by name", async () => {
    const names = (await readOnly.mcp.listTools()).tools.map((tool) => tool.name).sort();
    expect(names).toEqual([...READ_ONLY_TOOLS].sort());
    // The one place the read-only surface is written out: a tool that starts or stops changing
    // Vagon shows here.
    expect([...READ_ONLY_TOOLS].sort()).toEqual([
      "download_files",
      "download_task_bundle",
      "find_files",
      "get_download",
      "list_files",
      "list_machine_content",
      "read_file",
      "storage_usage",
    ]);
    sandbox.clearRequests();
    const refused = await readOnly.mcp
      .callTool({ name: "delete_file", arguments: { file_id: 18094 } })
      .catch((error: unknown) => ({ isError: true, content: [{ type: "text", text: String(error) }] }));
    expect(refused.isError).toBe(true);
    expect(sandbox.requests).toEqual([]);
  });
});
