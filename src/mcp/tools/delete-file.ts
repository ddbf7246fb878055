import { z } from "zod";
import { confirmDelete } from "../confirm-delete.js";
import { defineTool } from "../define-tool.js";
import * as params from "../params.js";
import { describeItem } from "../wrong-kind.js";

export const deleteFile = defineTool({
  name: "delete_file",
  title: "Delete a file or folder",
  description: `Delete a file, or a folder with everything inside it, from Vagon Files. Irreversible.
Use this tool when you need to:
- clean up storage the user asked you to tidy
When the host supports it, the user is asked to confirm first.`,
  inputSchema: { file_id: params.fileId.describe("Id of the file or folder to delete (from list_files).") },
  outputSchema: { file_id: z.number(), deleted: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  mutating: true,
  async handler(args, context) {
    const { client, extra } = context;
    const item = async () =>
      (await describeItem(client, args.file_id, extra.signal)) ??
      `item ${args.file_id} (a folder goes with everything in it)`;
    const answer = await confirmDelete(context, {
      subject: `delete_file ${args.file_id}`,
      message: async () => `Delete ${await item()} from Vagon Files? This can't be undone.`,
      title: "Yes, delete it",
    });
    if (typeof answer !== "string") return answer;
    if (answer === "declined") {
      return {
        structured: { file_id: args.file_id, deleted: false },
        text: `Not deleted: the user did not confirm deleting item ${args.file_id}. Nothing was changed.`,
      };
    }
    await client.deleteFile(args.file_id, { signal: extra.signal });
    return { structured: { file_id: args.file_id, deleted: true }, text: `Deleted item ${args.file_id}.` };
  },
});
