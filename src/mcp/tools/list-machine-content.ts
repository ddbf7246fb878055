import { z } from "zod";
import { countOf, formatBytes, groupDigits } from "../../units.js";
import type { MachineContentItem } from "../../vagon/types.js";
import { defineTool, type ToolOutput } from "../kit/define-tool.js";
import * as params from "../kit/params.js";
import { tableSchema, toTable } from "../kit/table.js";

const machineContentShape = {
  machine_id: z.number(),
  path: z.string(),
  total: z.number().describe("Entries in the folder; more than rows when the output budget cut it."),
  entries: tableSchema(
    {
      name: z.string(),
      kind: z.enum(["file", "directory"]),
      size: z
        .number()
        .nullable()
        .describe(
          "bytes; null for a folder, or when Vagon gave none (its current API revision sends no sizes).",
        ),
    },
    {
      description:
        "Not a column: path = the listed path (backslashes, none at the end) + '\\' + name; a row that differs says so in exceptions (by name).",
      exceptions: { path: z.string() },
    },
  ),
};
type MachineContent = z.infer<z.ZodObject<typeof machineContentShape>>;

/** Items as the model receives them: what the listing already says is left out (table.ts). */
function machineTable(items: readonly MachineContentItem[], listedPath: string) {
  return toTable<MachineContentItem>(
    {
      columns: {
        name: (item) => item.name,
        kind: (item) => item.kind,
        size: (item) => (item.kind === "file" ? item.size : null),
      },
      derived: {
        path: { actual: (item) => item.path, derive: (item) => `${listedPath}\\${item.name}` },
        size: { actual: (item) => item.size, derive: (item) => (item.kind === "file" ? item.size : null) },
      },
      key: (item) => item.name,
    },
    items,
  );
}

export const listMachineContent = defineTool({
  name: "list_machine_content",
  title: "List a running machine's disk",
  description: `List a folder on the live disk of a running Vagon machine (Windows; not Vagon Files).
Use this tool when you need to:
- see what a program on the cloud computer wrote to disk
The machine must be running.`,
  inputSchema: {
    machine_id: params.machineId,
    path: z.string().min(1).max(1024).describe("Windows folder, e.g. C:\\Users or C:/Users."),
  },
  outputSchema: machineContentShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    const items = await context.client.listMachineContent(args.machine_id, args.path, {
      signal: context.extra.signal,
    });
    // The path as Vagon writes the items' paths: backslashes, no trailing one.
    const listedPath = args.path.replace(/\//g, "\\").replace(/\\+$/, "");
    const sized = items.some((item) => item.kind === "file" && item.size !== null);
    const files = items.filter((item) => item.kind === "file").length;
    const line = (item: (typeof items)[number]) =>
      `${item.name}${item.kind === "directory" ? "\\" : ""}${item.size !== null && item.kind === "file" ? `  ${formatBytes(item.size)}` : ""}`;
    const result = (shown: typeof items): ToolOutput<MachineContent> => {
      const lines = [
        `${args.path} on machine ${args.machine_id} (${countOf(items.length, "entry", "entries")}${
          files > 0 && !sized ? "; Vagon sent no file sizes" : ""
        }):`,
        ...shown.map(line),
      ];
      if (shown.length < items.length) {
        lines.push(
          `${groupDigits(items.length - shown.length)} more, cut to fit the output budget — list a sub-folder's path to see the rest.`,
        );
      }
      return {
        structured: {
          machine_id: args.machine_id,
          path: args.path,
          total: items.length,
          entries: machineTable(shown, listedPath),
        },
        text: lines.join("\n"),
        cut: { items: items.length, keep: (keep) => result(items.slice(0, keep)) },
      };
    };
    return result(items);
  },
});
