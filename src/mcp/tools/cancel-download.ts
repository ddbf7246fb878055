import { z } from "zod";
import { defineTool } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";

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
    const { config, logger, principal, jobOwners } = context;
    const caller = principal ?? "the stdio client";
    if (config.transport === "http" && !config.http.allowForeignCancel) {
      if (principal === undefined || jobOwners?.ownerOf(args.download_id) !== principal) {
        logger.warn(`cancel_download refused: zip job ${args.download_id} was not started here by ${caller}`);
        throw new UserInputError(
          `Zip job ${args.download_id} wasn't started through this server by you, so it can't be cancelled here; nothing was changed. A job you started on another replica or before a restart can be left alone: it expires by itself. The server's operator can allow such cancels with --allow-foreign-cancel.`,
        );
      }
    }
    await context.client.abortDownload(args.download_id, { signal: context.extra.signal });
    logger.info(`zip job ${args.download_id} cancelled by ${caller}`);
    return {
      structured: { download_id: args.download_id, status: "cancelled" as const },
      text: `Zip job ${args.download_id} cancelled.`,
    };
  },
});
