import { z } from "zod";
import { countOf, formatBytes } from "../../units.js";
import type { MachineContentItem } from "../../vagon/types.js";
import { defineTool, type ToolOutput } from "../define-tool.js";
import * as params from "../params.js";

const machineContentShape = {
  machine_id: z.number(),
  path: z.string(),
  total: z.number().describe("Entries in the folder; more than entries when the output budget cut it."),
  entries: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(["file", "directory"]).optional().describe("Omitted when 'file'."),
      size: z
        .number()
        .optional()
        .describe("Bytes; omitted when Vagon gave none (its current API revision sends no sizes)."),
      path: z.string().optional().describe("Omitted when it is the listed path + '\\' + name."),
    }),
  ),
};
type MachineContent = z.infer<z.ZodObject<typeof machineContentShape>>;
type MachineEntry = MachineContent["entries"][number];

/** An item as the model receives it: what the listing already says is left out (as compact.ts). */
function compactItem(item: MachineContentItem, listedPath: string): MachineEntry {
  const entry: MachineEntry = { name: item.name };
  if (item.kind !== "file") entry.kind = item.kind;
  if (item.size !== null && item.kind === "file") entry.size = item.size;
  if (item.path !== `${listedPath}\\${item.name}`) entry.path = item.path;
  return entry;
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
          `${(items.length - shown.length).toLocaleString("en-US")} more, cut to fit the output budget — list a sub-folder's path to see the rest.`,
        );
      }
      return {
        structured: {
          machine_id: args.machine_id,
          path: args.path,
          total: items.length,
          entries: shown.map((item) => compactItem(item, listedPath)),
        },
        text: lines.join("\n"),
        cut: { items: items.length, keep: (keep) => result(items.slice(0, keep)) },
      };
    };
    return result(items);
  },
});
