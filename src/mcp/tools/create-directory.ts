import { z } from "zod";
import { isWellFormedText } from "../../well-formed.js";
import { defineTool } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";

export const createDirectory = defineTool({
  name: "create_directory",
  title: "Create a folder",
  description: `Create a folder in Vagon Files (shared storage or a machine's storage).
Use this tool when you need to:
- organize uploads into a new folder`,
  inputSchema: {
    name: z
      .string()
      .min(1)
      .max(255)
      .refine(isWellFormedText, { error: params.ILL_FORMED_NAME })
      .describe("Name of the new folder (one path component, no slashes)."),
    location: params.writeLocation,
    machine_id: params.machineId.optional().describe("For location 'machine'."),
    parent_id: params.parentId,
  },
  outputSchema: { id: z.number(), name: z.string(), parent_id: z.number() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  mutating: true,
  async handler(args, context) {
    if (/[/\\\0]/.test(args.name))
      throw new UserInputError(
        "A folder name can't contain slashes or NUL; create nested folders one at a time.",
      );
    const machineId = params.machineFor(args.location, args.machine_id);
    const created = await context.client.createDirectory(
      { name: args.name, parentId: args.parent_id, ...(machineId ? { machineId } : {}) },
      { signal: context.extra.signal },
    );
    return {
      structured: { id: created.id, name: args.name, parent_id: args.parent_id },
      text: `Created folder ${args.name}/ id=${created.id}`,
    };
  },
});
