import { z } from "zod";
import { defineTool } from "../define-tool.js";
import * as params from "../params.js";
import { itemFacts, itemWords } from "../wrong-kind.js";

export const deleteFile = defineTool({
  name: "delete_file",
  title: "Delete a file or folder",
  description: `Delete a file, or a folder with everything inside it, from Vagon Files. Irreversible.
Use this tool when you need to:
- clean up storage the user asked you to tidy
When the host supports it, the user is asked to confirm first.`,
  inputSchema: { file_id: params.fileId.describe("Id of the file or folder to delete (from list_files).") },
  outputSchema: {
    file_id: z.number(),
    deleted: z.boolean(),
    name: z.string().nullable().optional(),
    kind: z.enum(["file", "directory"]).optional(),
    size: z
      .number()
      .nullable()
      .optional()
      .describe("Bytes; a folder's added up (at least, when incomplete)."),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  mutating: true,
  async handler(args, context) {
    const { server, client, extra } = context;
    // Read before the delete, so that the answer can say what went (SPEC §2).
    const item = await itemFacts(client, args.file_id, extra.signal);
    const words = item ? itemWords(item) : `item ${args.file_id} (a folder goes with everything in it)`;
    if (server.server.getClientCapabilities()?.elicitation) {
      const answer = await server.server.elicitInput(
        {
          message: `Delete ${words} from Vagon Files? This can't be undone.`,
          requestedSchema: {
            type: "object",
            properties: { confirm: { type: "boolean", title: "Yes, delete it" } },
            required: ["confirm"],
          },
        },
        { signal: extra.signal },
      );
      if (answer.action !== "accept" || answer.content?.confirm !== true) {
        return {
          structured: { file_id: args.file_id, deleted: false },
          text: `Not deleted: the user did not confirm deleting ${words}. Nothing was changed.`,
        };
      }
    }
    await client.deleteFile(args.file_id, { signal: extra.signal });
    const facts = item ? { name: item.name, kind: item.kind, size: item.sizeBytes } : {};
    return {
      structured: { file_id: args.file_id, deleted: true, ...facts },
      text: item
        ? `Deleted ${words}.`
        : `Deleted item ${args.file_id} (Vagon's listings and links didn't say what it was).`,
    };
  },
});
