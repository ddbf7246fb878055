import { z } from "zod";
import { defineTool } from "../define-tool.js";
import * as params from "../params.js";

export const cancelDownload = defineTool({
  name: "cancel_download",
  title: "Cancel a zip job",
  description: `Abort a zip job that is still queued or being built.
Use this tool when you need to:
- stop a bundle you no longer need`,
  inputSchema: { download_id: params.downloadId },
  outputSchema: { download_id: z.number(), status: z.literal("cancelled") },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  mutating: true,
  async handler(args, context) {
    await context.client.abortDownload(args.download_id, { signal: context.extra.signal });
    return {
      structured: { download_id: args.download_id, status: "cancelled" as const },
      text: `Zip job ${args.download_id} cancelled.`,
    };
  },
});
