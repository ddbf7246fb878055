import { z } from "zod";
import { defineTool } from "../define-tool.js";
import { cappedLines, formatBytes } from "../format.js";
import * as params from "../params.js";

export const listMachineContent = defineTool({
  name: "list_machine_content",
  title: "List a running machine's disk",
  description: `List a folder on the live disk of a running Vagon machine (its Windows file system, not Vagon Files).
Use this tool when you need to:
- see what a program on the cloud computer wrote to disk
- find a path on the machine before asking the user to move files into Vagon Files
The machine must be running.`,
  inputSchema: {
    machine_id: params.machineId,
    path: z
      .string()
      .min(1)
      .max(1024)
      .describe("Windows folder path, e.g. C:\\Users or C:/Users (both accepted)."),
  },
  outputSchema: {
    machine_id: z.number(),
    path: z.string(),
    entries: z.array(
      z.object({
        name: z.string(),
        path: z.string(),
        kind: z.enum(["file", "directory"]),
        size: z.number().nullable(),
      }),
    ),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    const items = await context.client.listMachineContent(args.machine_id, args.path, {
      signal: context.extra.signal,
    });
    const line = (item: (typeof items)[number]) =>
      `${item.name}${item.kind === "directory" ? "\\" : ""}${item.size !== null && item.kind === "file" ? `  ${formatBytes(item.size)}` : ""}`;
    return {
      structured: { machine_id: args.machine_id, path: args.path, entries: items },
      text: [
        `${args.path} on machine ${args.machine_id} (${items.length} entries):`,
        ...cappedLines(items, line),
      ].join("\n"),
    };
  },
});
