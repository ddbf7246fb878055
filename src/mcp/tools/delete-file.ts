import { z } from "zod";
import { confirmDelete } from "../housekeeping/confirm-delete.js";
import { defineTool } from "../kit/define-tool.js";
import * as params from "../kit/params.js";
import { type ItemFacts, itemFacts, itemWords } from "../kit/wrong-kind.js";

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
    const { client, extra } = context;
    // Read before the delete, so that the answer can say what went (SPEC §2); once, and only
    // after a stateless replica that can't ask has refused.
    let facts: Promise<ItemFacts | null> | undefined;
    const item = () => {
      facts ??= itemFacts(client, args.file_id, extra.signal);
      return facts;
    };
    const wordsOf = (found: ItemFacts | null) =>
      found ? itemWords(found) : `item ${args.file_id} (a folder goes with everything in it)`;
    const answer = await confirmDelete(context, {
      subject: `delete_file ${args.file_id}`,
      message: async () => `Delete ${wordsOf(await item())} from Vagon Files? This can't be undone.`,
      title: "Yes, delete it",
    });
    if (typeof answer !== "string") return answer;
    if (answer === "declined") {
      return {
        structured: { file_id: args.file_id, deleted: false },
        text: `Not deleted: the user did not confirm deleting ${wordsOf(await item())}. Nothing was changed.`,
      };
    }
    const found = await item();
    await client.deleteFile(args.file_id, { signal: extra.signal });
    const said = found ? { name: found.name, kind: found.kind, size: found.sizeBytes } : {};
    return {
      structured: { file_id: args.file_id, deleted: true, ...said },
      text: found
        ? `Deleted ${wordsOf(found)}.`
        : `Deleted item ${args.file_id} (Vagon's listings and links didn't say what it was).`,
    };
  },
});
